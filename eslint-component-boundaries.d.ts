// Types of eslint-component-boundaries.js, which ESLint loads as plain JavaScript.
import type { Linter } from 'eslint';

/** The six daemons: each its own deployable, none importing another. */
export declare const daemons: readonly string[];

/** Flat-config blocks enforcing the dependency rules. */
export declare const componentBoundaries: Linter.Config[];
