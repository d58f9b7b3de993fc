// An object seen through a few replaced members: the rest are the target's own, bound to it (so
// class instances with private fields keep working behind the view).
export function withOverrides<T extends object>(target: T, overrides: Partial<T>): T {
  return new Proxy(target, {
    get(t, key) {
      if (Object.hasOwn(overrides, key)) return overrides[key as keyof T];
      const value = Reflect.get(t, key, t) as unknown;
      return typeof value === 'function' ? value.bind(t) : value;
    },
  });
}
