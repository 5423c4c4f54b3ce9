/** image/: decoding (sharp), headers, hashes. The one way pixels enter camprint. */
export { decodeImage, probeImage, sha256File, SUPPORTED_FORMATS, DEFAULT_MAX_PIXELS } from './decode.js';
export type { DecodedImage, ImageInfo, ImageFormat, DecodeOptions } from './decode.js';
export { listImages } from './list.js';
export { centreCrop } from './crop.js';
