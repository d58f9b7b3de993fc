// What never belongs in an artifact: version-control data and build caches.

/** True for a relative path (with or without a leading "./") that packing and copying leave out. */
export function isSkippedPath(rel: string): boolean {
  const parts = rel.split('/').filter((p) => p !== '' && p !== '.');
  for (let i = 0; i < parts.length; i++) {
    if (parts[i] === '.git') return true;
    if (parts[i] === 'node_modules' && parts[i + 1] === '.cache') return true;
  }
  return false;
}
