// sealwatch-county: the county office's side (docs/security.md, docs/protocol.md). Verbs grow
// as they are built; today: keygen.
#include <iostream>

#include <CLI/CLI.hpp>

#include "chain/crypto.hpp"

using namespace sealwatch;

namespace {

// A county command key: the private key as PKCS#8 PEM in FILE (0600, never overwritten; openssl
// reads it too), the public key as PEM in FILE.pub, and the gateway's [[command_key]] table on
// stdout to paste into every gateway's config.
int keygen(const std::string& out, const std::string& id) {
    auto key = chain::SigningKey::generate();
    if (!key) {
        std::cerr << "sealwatch-county keygen: " << key.error().message << '\n';
        return 1;
    }
    if (auto r = key->save_pem(out, out + ".pub"); !r) {
        std::cerr << "sealwatch-county keygen: " << r.error().message
                  << " (an existing key is never overwritten)\n";
        return 1;
    }
    std::cerr << "private key in " << out << " (keep it on this machine), public key in " << out
              << ".pub, fingerprint " << chain::fingerprint(key->public_key()) << '\n';
    std::cout << "[[command_key]]\nid = \"" << id << "\"\npublic_key = \""
              << chain::base64(key->public_key()) << "\"\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"sealwatch-county - the county office's side of sealwatch"};
    app.set_version_flag("--version", std::string("sealwatch-county ") + SEALWATCH_VERSION);
    app.require_subcommand(1);

    std::string out, id = "county-1";
    auto* kg = app.add_subcommand("keygen", "make a county command key (Ed25519)");
    kg->add_option("--out", out, "private key file (FILE.pub gets the public key)")->required();
    kg->add_option("--id", id, "the key's id in the gateways' [[command_key]] tables");

    CLI11_PARSE(app, argc, argv);
    if (kg->parsed()) return keygen(out, id);
    return 2;
}
