import type { replayEn } from './replay.en';

type Widen<T> = T extends string ? string : T extends readonly string[] ? readonly string[] : { readonly [K in keyof T]: Widen<T[K]> };
/** The shape every language's replay viewer texts fill in. */
export type ReplayStrings = Widen<typeof replayEn>;
