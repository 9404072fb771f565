// Something that notices a reason to look at the host again and asks the daemon's
// queue for a pass. A source decides nothing else: the queue decides when the pass
// runs, the pass decides what to change.
export interface TriggerSource {
  start(): void;
  stop(): void;
}
