export {
  postText,
  readBodyWithin,
  parseJsonObject,
  soracomError,
  serverSays,
  isSuccess,
  hostOf,
  type FetchLike,
  type HttpAnswer,
  type PostOptions,
} from './http-client.ts';
