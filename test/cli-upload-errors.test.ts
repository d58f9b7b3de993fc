// What the CLI says when an upload is refused for its size by something other than Gantry's own
// 413 (a proxy in front of it), or when the connection is cut while the bytes go out.
import { describe, expect, it } from 'vitest';
import { ApiError, ConnectionError, UsageError } from '../src/cli/errors.ts';
import { describeRefusedUpload } from '../src/cli/upload.ts';

const MB = 1024 * 1024;

describe('describeRefusedUpload', () => {
  it("keeps Gantry's own 413, which names the limit and the flag already", () => {
    const own = new ApiError(
      413,
      'ARTIFACT_TOO_LARGE',
      'the upload (…) is larger than the limit of …',
      'hint',
    );
    expect(describeRefusedUpload(own, 3 * MB)).toBe(own);
  });

  it("turns a proxy's bare 413 into the size, the limit's flag and the proxy's setting", () => {
    const bare = new ApiError(413, 'HTTP_413', 'server answered 413 Request Entity Too Large');
    const err = describeRefusedUpload(bare, 3 * MB) as ApiError;
    expect(err.status).toBe(413);
    expect(err.code).toBe('ARTIFACT_TOO_LARGE');
    expect(err.message).toContain(`(${3 * MB} bytes) is larger than the server accepts`);
    expect(err.hint).toContain('--max-artifact-size');
    expect(err.hint).toContain('client_max_body_size');
  });

  it('says a connection cut during the upload is most likely the size limit, not an unreachable server', () => {
    const cut = new ConnectionError('http://127.0.0.1:7070', 'connection reset');
    const err = describeRefusedUpload(cut, 200 * MB);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).message).toContain("probably over the server's upload limit");
    expect((err as UsageError).hint).toContain('--max-artifact-size');
  });

  it('leaves other failures alone', () => {
    const refused = new ConnectionError('http://127.0.0.1:7070', 'connection refused');
    expect(describeRefusedUpload(refused, MB)).toBe(refused);
  });
});
