/** Which engine a STORE_URL names, by its scheme. */
export type StoreKind = 'sqlite' | 'redis' | 'postgres';

export function storeKind(url: string): StoreKind {
  if (url.startsWith('sqlite://')) return 'sqlite';
  if (url.startsWith('redis://') || url.startsWith('rediss://')) return 'redis';
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return 'postgres';
  throw new Error(`unsupported STORE_URL scheme: ${url.split(':')[0]}`);
}
