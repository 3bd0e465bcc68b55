// Public API of @bulwark/lru-lfu.
export {};
