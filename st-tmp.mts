import { openStore } from './src/store/store.js';
const url = process.argv[2]!;
const t0 = Date.now();
const race = <T,>(p: Promise<T>) => Promise.race([p, new Promise((r) => setTimeout(() => r('HANG'), 4000))]);
try {
  const s = await race(openStore(url)) as any;
  console.log('open', Date.now() - t0, s === 'HANG' ? 'HANG' : 'ok');
  if (s !== 'HANG') {
    console.log('get', await race(s.registry.get('x').then((v: any) => v, (e: any) => 'ERR ' + e)));
    console.log('list', await race(s.registry.list().then((v: any) => v.length, (e: any) => 'ERR ' + e)));
    console.log('seen', await race(s.dedupe.seen('x').then((v: any) => v, (e: any) => 'ERR ' + e)));
  }
} catch (e) { console.log('open ERR', String(e)); }
process.exit(0);
