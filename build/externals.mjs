// The packages left out of the bundle and shipped beside it (node_modules; deb/build.mjs
// copies them with their dependencies): yargs finds its locale files relative to its own
// install; the etcd client and its retry library are loaded only on the fleet path.
export const EXTERNAL = ['yargs', 'etcd3', 'cockatiel', '@grpc/grpc-js'];
