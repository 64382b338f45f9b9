/**
 * Freezing what the workflow runs of a shared context have in common, so that no run can
 * change what another sees: every built-in of the context (constructors, their
 * prototypes, `Math`, `JSON`, the intrinsics without a global name) and the modules the
 * bundle loaded once (Bastion's runtime, workflow API, converter).
 *
 * Freezing a prototype has a well-known side effect (the "override mistake"): assigning
 * a property that a frozen prototype already has (`this.name = 'MyError'`,
 * `obj.toString = fn`) throws in strict code instead of creating an own property. The
 * properties code commonly assigns that way (all of `Object.prototype`'s, and `name`,
 * `message`, `constructor`, `toString` of the error prototypes, `Function.prototype
 * .toString`) become accessors whose setter creates the own property, as SES does.
 *
 * Module objects are frozen as the official SDK does: objects through their properties,
 * functions (and classes) themselves but not their prototypes, so a subclass of a
 * shared class can still set an inherited field such as `name`.
 *
 * Runs inside the context (a setter the sandbox can see must be a function of its own
 * realm), once per context, before any run.
 */
import * as vm from 'node:vm';
import { SANDBOX_INTERNAL_PREFIX } from './stack-traces';

const FREEZE = new vm.Script(
  `(function freezeRealm(skip, moduleRecords) {
  'use strict';
  const { freeze, getPrototypeOf, getOwnPropertyDescriptor, defineProperty } = Object;
  const { ownKeys } = Reflect;
  const objectPrototype = Object.prototype;
  // Objects of this realm end their prototype chain at its Object.prototype (or have
  // none); the host's objects lent to the context do not.
  const ownRealm = (o) => {
    let p = o;
    for (let i = 0; i < 64; i++) {
      const q = getPrototypeOf(p);
      if (q === null) return p === objectPrototype || p === o;
      p = q;
    }
    return false;
  };
  const tame = (proto, keys) => {
    for (const key of keys === undefined ? ownKeys(proto) : keys) {
      const d = getOwnPropertyDescriptor(proto, key);
      if (d === undefined || !('value' in d) || !d.configurable) continue;
      const value = d.value;
      const name = typeof key === 'symbol' ? key.toString() : key;
      defineProperty(proto, key, {
        get: function () { return value; },
        set: function (v) {
          if (this === proto) {
            const error = new TypeError('Cannot assign to ' + name + ' of a built-in prototype: built-ins are frozen in workflow code (workflow runs share them). Set it on your own object instead.');
            error.code = 'ERR_WORKFLOW_FORBIDDEN_API';
            throw error;
          }
          if (this === null || (typeof this !== 'object' && typeof this !== 'function')) return;
          defineProperty(this, key, { value: v, writable: true, enumerable: true, configurable: true });
        },
        enumerable: d.enumerable,
        configurable: true,
      });
    }
  };
  tame(Object.prototype);
  tame(Function.prototype, ['toString']);
  for (const E of [Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError, AggregateError]) {
    tame(E.prototype, ['name', 'message', 'constructor', 'toString']);
  }

  const seen = new Set(skip);
  seen.add(globalThis);
  const pending = [];
  const push = (v) => {
    if (v !== null && (typeof v === 'object' || typeof v === 'function') && !seen.has(v)) {
      seen.add(v);
      pending.push(v);
    }
  };
  const pushProperties = (o) => {
    for (const key of ownKeys(o)) {
      const d = getOwnPropertyDescriptor(o, key);
      if ('value' in d) push(d.value);
      else {
        push(d.get);
        push(d.set);
      }
    }
  };
  pushProperties(globalThis);
  for (const o of [
    Object.getPrototypeOf(Int8Array),
    Object.getPrototypeOf([][Symbol.iterator]()),
    Object.getPrototypeOf(new Map()[Symbol.iterator]()),
    Object.getPrototypeOf(new Set()[Symbol.iterator]()),
    Object.getPrototypeOf(''[Symbol.iterator]()),
    Object.getPrototypeOf(/x/[Symbol.matchAll]('')),
    Object.getPrototypeOf(function* () {}),
    Object.getPrototypeOf(async function () {}),
    Object.getPrototypeOf(async function* () {}),
  ]) push(o);
  let frozen = 0;
  while (pending.length > 0) {
    const o = pending.pop();
    if (!ownRealm(o)) continue;
    pushProperties(o);
    push(getPrototypeOf(o));
    try {
      freeze(o);
      frozen++;
    } catch {
      // Some objects cannot be frozen (typed arrays with elements); none is a built-in.
    }
  }

  // Shared modules: objects through their (read) properties; functions themselves only.
  const modules = [...moduleRecords];
  while (modules.length > 0) {
    const o = modules.pop();
    if (o === null || (typeof o !== 'object' && typeof o !== 'function') || seen.has(o)) continue;
    seen.add(o);
    if (!ownRealm(o)) continue;
    if (typeof o === 'object') {
      for (const key of ownKeys(o)) {
        try {
          modules.push(o[key]);
        } catch {
          // a getter that throws: nothing to freeze behind it
        }
      }
    }
    try {
      freeze(o);
      frozen++;
    } catch {
      // as above
    }
  }
  return frozen;
})`,
  { filename: `${SANDBOX_INTERNAL_PREFIX}freeze` },
);

/**
 * Freezes the built-ins of `context` and the module records given (webpack's
 * `{ id, loaded, exports }` of the modules shared by all runs). `skip` holds objects the
 * host lends the context, which stay as they are. Returns how many objects were frozen.
 */
export function freezeRealm(context: vm.Context, skip: unknown[], moduleRecords: unknown[]): number {
  const freeze = FREEZE.runInContext(context) as (skip: unknown[], records: unknown[]) => number;
  return freeze(skip, moduleRecords);
}
