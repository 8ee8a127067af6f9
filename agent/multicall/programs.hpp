#pragma once
// The gateway's two programs in one executable: sealwatchd (the agent) and sealwatch (the
// operator's and inspector's tool) share most of their code (store, detector, evidence chain,
// config, JSON, TOML), and as one ELF the gateway holds it once (docs/performance.md, "Binary
// size"). multicall/main.cpp picks the program by the name it was started under; bin/sealwatch
// is a symlink to bin/sealwatchd, in the build tree as on the gateway.

namespace sealwatch::programs {

int sealwatchd(int argc, char** argv);  // agent/daemon/main.cpp
int sealwatch(int argc, char** argv);   // agent/cli/main.cpp

}  // namespace sealwatch::programs
