export { defaultCardPathsFile, FileCardPaths, parseCardPaths, readCardPathsFile } from './file-card-paths.ts';
