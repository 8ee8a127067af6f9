#pragma once
// Finding the address of the one DL/T 645 meter on a line: the read-address command (13H) to
// the wildcard address AA..AA, which a lone meter answers with its own address. Commissioning
// needs it because a meter's label is often painted over, behind a seal, or simply wrong. On a
// line of several meters they all answer at once and what arrives is noise: the command is for
// a line with one meter on it, and says so when it gets garbage.
#include <string>

#include <tl/expected.hpp>

#include "dlt645/client.hpp"
#include "dlt645/frame.hpp"

namespace sealwatch::dlt645 {

// The lone meter's address, or what went wrong in words an installer can act on.
tl::expected<Address, std::string> discover_address(Client& client);

}  // namespace sealwatch::dlt645
