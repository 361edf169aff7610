// Preloaded with `node --require` to run the shim as if on a platform without a
// prebuilt binary.
Object.defineProperty(process, "platform", { value: "freebsd" });
