import type { lessonsEn } from './lessons.en';

type Widen<T> = T extends string ? string : T extends readonly string[] ? readonly string[] : { readonly [K in keyof T]: Widen<T[K]> };
/** The shape every language's lesson texts fill in. */
export type LessonStrings = Widen<typeof lessonsEn>;
