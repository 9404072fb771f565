// Where an object that is started and stopped is in its life, as one value: a source,
// the queue, the scheduler and the daemon each keep one of these instead of separate
// running/stopping/closed flags that could disagree.
export type Lifecycle = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';
