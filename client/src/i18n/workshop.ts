import type { workshopEn } from './workshop.en';

type Widen<T> = T extends string ? string : T extends readonly string[] ? readonly string[] : { readonly [K in keyof T]: Widen<T[K]> };
/** The shape every language's workshop texts fill in. */
export type WorkshopStrings = Widen<typeof workshopEn>;
