/** Files: the two-step upload (`files.getUploadURLExternal`, then `files.completeUploadExternal`). */
import type { Methods, SlackState } from './state.js';

export function fileMethods(state: SlackState): Methods {
  return {
    'files.getUploadURLExternal': () => ({ ok: true, upload_url: `${state.base}/upload/F${state.seq + 1}`, file_id: `F${++state.seq}` }),
    'files.completeUploadExternal': () => ({ ok: true, files: [{ id: 'F1', title: 'transcript' }] }),
  };
}
