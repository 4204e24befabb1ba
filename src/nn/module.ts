// Module: a tree of layers whose parameters are found by name, as in torch.nn.Module. Fields holding a
// parameter (a Tensor that requires grad), a Module, or an array of Modules are registered by walking the
// object, so a layer is just a class with fields; names come out as "blocks.0.attn.c_attn.weight".
import { Tensor } from '../tensor/index.js';
import { HookPoint } from './hooks.js';

export abstract class Module {
  training = true;

  /** (name, parameter) pairs in field order, depth first. */
  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [key, value] of Object.entries(this)) {
      const name = prefix ? `${prefix}.${key}` : key;
      if (value instanceof Tensor && value.requiresGrad) out.push([name, value]);
      else if (value instanceof Module) out.push(...value.namedParameters(name));
      else if (Array.isArray(value)) {
        value.forEach((m, i) => {
          if (m instanceof Module) out.push(...m.namedParameters(`${name}.${i}`));
        });
      }
    }
    return out;
  }

  /**
   * Every hook point, by name, in the order activations reach them: fields holding a HookPoint, a record
   * of them (what hookPoints() makes), a Module or an array of Modules, depth first.
   */
  hookPoints(): Map<string, HookPoint> {
    const out = new Map<string, HookPoint>();
    const visit = (value: unknown): void => {
      if (value instanceof HookPoint) out.set(value.name, value);
      else if (value instanceof Module) for (const [name, p] of value.hookPoints()) out.set(name, p);
      else if (Array.isArray(value)) value.forEach(visit);
      else if (
        value !== null &&
        typeof value === 'object' &&
        Object.getPrototypeOf(value) === Object.prototype
      ) {
        for (const v of Object.values(value)) if (v instanceof HookPoint) visit(v);
      }
    };
    for (const value of Object.values(this)) visit(value);
    return out;
  }

  /** (name, module) pairs, this one first (named `prefix`), depth first: torch's named_modules. */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [key, value] of Object.entries(this)) {
      const name = prefix ? `${prefix}.${key}` : key;
      if (value instanceof Module) out.push(...value.namedModules(name));
      else if (Array.isArray(value))
        for (const [i, m] of value.entries())
          if (m instanceof Module) out.push(...m.namedModules(`${name}.${i}`));
    }
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Direct child modules (arrays of modules included). */
  children(): Module[] {
    return Object.values(this).flatMap((v) =>
      v instanceof Module ? [v] : Array.isArray(v) ? v.filter((m): m is Module => m instanceof Module) : [],
    );
  }

  /** Training mode on this module and every child (dropout and similar read it). */
  train(on = true): this {
    this.training = on;
    for (const c of this.children()) c.train(on);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.numel(), 0);
  }

  /** Parameters by name; the tensors are the live ones (clone to snapshot). */
  stateDict(): Map<string, Tensor> {
    return new Map(this.namedParameters());
  }

  /** Copies values in by name; every parameter must be present with its exact shape. */
  loadStateDict(state: ReadonlyMap<string, Tensor>): void {
    const own = this.stateDict();
    for (const [name, p] of own) {
      const src = state.get(name);
      if (!src) throw new Error(`loadStateDict: missing parameter ${name}`);
      if (src.shape.join() !== p.shape.join()) {
        throw new Error(`loadStateDict: ${name} has shape [${src.shape}] but the model expects [${p.shape}]`);
      }
      p.data.set(src.data);
    }
    for (const name of state.keys()) {
      if (!own.has(name)) throw new Error(`loadStateDict: unexpected parameter ${name}`);
    }
  }
}
