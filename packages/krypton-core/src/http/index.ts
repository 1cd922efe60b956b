export {
  postText,
  readBodyWithin,
  parseJsonObject,
  soracomError,
  hostOf,
  type FetchLike,
  type HttpAnswer,
  type PostOptions,
} from './http-client.ts';
