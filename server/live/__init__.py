"""The meeting in memory and on its sockets: the runtime, the hub, the nudges between workers."""
