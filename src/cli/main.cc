// concord's entry point. Holds the only top-level catch; exit codes: 0 ok, 1 runtime failure,
// 2 bad usage or configuration.
int main() { return 0; }
