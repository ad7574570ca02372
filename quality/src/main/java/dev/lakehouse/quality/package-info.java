/**
 * Expectations and their actions (warn, drop, quarantine, fail); the only package that talks to
 * Deequ. Filled by the quality issue; the module exists so layers can depend on it already.
 */
package dev.lakehouse.quality;
