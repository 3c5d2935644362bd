// Preloaded into Portkey's gateway with `node --import`: Portkey's start-server.js calls
// serve({ port }) with no hostname, i.e. it would listen on every interface. This hook
// forces every TCP listen in the process onto 127.0.0.1 (unix sockets are left alone).
import net from 'node:net';

const loopback = '127.0.0.1';
const originalListen = net.Server.prototype.listen;

net.Server.prototype.listen = function listenOnLoopback(...args) {
  const [first] = args;
  if (first === undefined || typeof first === 'function') {
    args.splice(0, first === undefined ? 1 : 0, 0, loopback);
  } else if (first !== null && typeof first === 'object' && !(first instanceof net.Server)) {
    if (first.path === undefined && first.fd === undefined && first.handle === undefined && first._handle === undefined) {
      args[0] = { ...first, host: loopback };
    }
  } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    if (args.length < 2 || args[1] === undefined || args[1] === null || typeof args[1] === 'string') args[1] = loopback;
    else args.splice(1, 0, loopback);
  }
  return originalListen.apply(this, args);
};
