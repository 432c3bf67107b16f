/**
 * What the servers of a cluster keep in Redis, against a real redis-server: the quick-match
 * queue taken by two servers at once never hands out a player twice; a code is reserved by
 * one server only; a server's lease, its requests to another and their answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../../server/cluster';
import { silentLogger } from '../../server/log';
import { redisInstalled, startRedis, type RedisServer } from '../support/redis';

describe.skipIf(!redisInstalled())('the cluster’s shared state in Redis', () => {
  let redis: RedisServer;
  let one: Cluster;
  let two: Cluster;
  beforeAll(async () => {
    redis = await startRedis();
    one = await Cluster.connect(redis.url, 'one', silentLogger);
    two = await Cluster.connect(redis.url, 'two', silentLogger);
  });
  afterAll(async () => {
    await one?.close();
    await two?.close();
    await redis?.stop();
  });

  it('pairs 400 players joining the same queue through two servers at once, each exactly once', async () => {
    const ids = Array.from({ length: 400 }, (_, i) => `p${i}`);
    const results = await Promise.all(ids.map((id, i) => (i % 2 === 0 ? one : two).pairOrWait('perfect|0|', id).then((other) => ({ id, other }))));
    const pairs = results.filter((r) => r.other !== null);
    // Everyone is in exactly one pair: either they took someone, or someone took them.
    const seen = new Map<string, number>();
    for (const { id, other } of pairs) for (const p of [id, other!]) seen.set(p, (seen.get(p) ?? 0) + 1);
    expect(pairs).toHaveLength(200);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    expect(seen.size).toBe(400);
    expect(await one.redis.llen('cyhm:queue:perfect|0|')).toBe(0);
  });

  it('never pairs a player with themself, and forgets one who left the line', async () => {
    expect(await one.pairOrWait('q2', 'ana')).toBeNull();
    // Asking again is waiting again, not a call with oneself.
    expect(await two.pairOrWait('q2', 'ana')).toBeNull();
    expect(await one.redis.lrange('cyhm:queue:q2', 0, -1)).toEqual(['ana']);
    await one.leaveQueue('q2', 'ana');
    expect(await two.pairOrWait('q2', 'ben')).toBeNull();
    expect(await one.pairOrWait('q2', 'cy')).toBe('ben');
  });

  it('reserves a code for one server only', async () => {
    const tries = await Promise.all([one.reserveCode('ABC234'), two.reserveCode('ABC234'), one.reserveCode('ABC234')]);
    expect(tries.filter(Boolean)).toHaveLength(1);
    const holder = await one.codeServer('ABC234');
    expect(['one', 'two']).toContain(holder);
    await one.releaseCode('ABC234');
    expect(await two.codeServer('ABC234')).toBeNull();
  });

  it('asks another server and hears its answer; a server with no lease is not alive', async () => {
    two.onRequest(async (kind, payload) => ({ kind, echo: payload, by: 'two' }));
    expect(await one.ask('two', 'ping', { n: 1 })).toEqual({ kind: 'ping', echo: { n: 1 }, by: 'two' });
    expect(await one.alive('two')).toBe(true);
    expect(await one.alive('three')).toBe(false);
    two.onRequest(async () => {
      throw new Error('no such thing');
    });
    await expect(one.ask('two', 'oops', {})).rejects.toThrow('no such thing');
  });
});
