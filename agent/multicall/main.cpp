// sealwatchd and sealwatch, one executable: the name it was started under (argv[0]'s last path
// part, which a symlink keeps) says which program runs. Any other name is refused, so a renamed
// copy does not quietly start the agent.
#include <iostream>
#include <string_view>

#include "multicall/programs.hpp"

int main(int argc, char** argv) {
    std::string_view name = argc > 0 && argv[0] != nullptr ? argv[0] : "";
    if (auto slash = name.rfind('/'); slash != std::string_view::npos)
        name.remove_prefix(slash + 1);
    if (name == "sealwatchd") return sealwatch::programs::sealwatchd(argc, argv);
    if (name == "sealwatch") return sealwatch::programs::sealwatch(argc, argv);
    std::cerr << "started as \"" << name
              << "\": this executable is sealwatchd and sealwatch, chosen by the name it is "
                 "started under (install it as, or link it to, one of those)\n";
    return 2;
}
