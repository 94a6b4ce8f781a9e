/**
 * A flag as a component declares it beside its code (a loss's --margin, a model kind's --channels,
 * a compensation strategy's --xbm-momentum): the CLI's options, the typed flags and the config's
 * checks are derived from these declarations (config/component-flags.ts), so a component's
 * parameter is written once. No imports: every layer may declare flags.
 */
export interface FlagSpec {
  /** as the CLI spells it, without dashes: 'xbm-momentum' */
  readonly name: string;
  readonly type: 'number' | 'string' | 'boolean';
  /** one line for --help (the default is added from the component's own default where it has one) */
  readonly describe: string;
  readonly choices?: readonly string[];
  /** the field of the component's config it sets, where that is not its key ('xbm-momentum' sets `momentum`) */
  readonly field?: string;
}

/** 'xbm-momentum' -> 'xbmMomentum': the key of a flag in the typed flags (as yargs camel-cases it). */
export type FlagKey<S extends string> = S extends `${infer H}-${infer T}` ? `${H}${Capitalize<FlagKey<T>>}` : S;
export const flagKey = <S extends string>(name: S): FlagKey<S> => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) as FlagKey<S>;

type ValueOf<F extends FlagSpec> = F['type'] extends 'number' ? number : F['type'] extends 'boolean' ? boolean : F['choices'] extends readonly (infer C)[] ? C : string;
/** The typed values of a list of declared flags, every one optional (undefined: not given). */
export type FlagValues<F extends FlagSpec> = { [K in F as FlagKey<K['name']>]?: ValueOf<K> };

/** The flags as given, by key (undefined: not given). */
export type GivenFlags = Readonly<Record<string, unknown>>;

/**
 * A default applied to a flag that was not given, recorded with its source (config.json's
 * defaultsApplied): `given` when given, else `value`.
 */
export type TakeDefault = <T>(flag: string, given: T | undefined, value: T, source?: string) => T;
/** A TakeDefault that records nothing (a component's config built in code or a test). */
export const useDefault: TakeDefault = (_flag, given, value) => (given === undefined ? value : given);

/** The value a declared flag was given, or undefined. */
export const givenValue = (flags: GivenFlags, spec: FlagSpec): unknown => flags[flagKey(spec.name)];
