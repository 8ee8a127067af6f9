#pragma once
// The MQTT topics of one gateway, written by the agent and read by the county office
// (docs/protocol.md). P = <topic_prefix>/<site>/<gateway id>.
//
//   P/status              retained; the will says offline     outside the seq stream
//   P/telemetry           readings or rollups, with seq
//   P/event               one event, with seq
//   P/chain               retained signed chain head          outside the seq stream
//   P/cmd/<verb>          a signed command from the county office
//   P/cmd/reply           the gateway's reply to a command
//   P/cmd/export/<nonce>  the chunks of an exported bundle
//   P/bridge              retained "1"/"0" of a plant-side mosquitto bridge (its notification
//                         topic, written by mosquitto, not by the agent; docs/county.md)
#include <optional>
#include <string>
#include <string_view>

namespace sealwatch::wire {

struct Topics {
    std::string root;  // P
    std::string status, telemetry, event, chain, cmd_reply, bridge;

    static Topics for_gateway(std::string_view prefix, std::string_view site,
                              std::string_view gateway);
    std::string cmd(std::string_view verb) const;             // P/cmd/<verb>
    std::string cmd_filter() const;                           // P/cmd/+ (the gateway subscribes)
    std::string export_chunks(std::string_view nonce) const;  // P/cmd/export/<nonce>
};

enum class TopicKind { status, telemetry, event, chain, cmd, cmd_reply, export_chunks, bridge };

// What a topic under <prefix>/ names, for a subscriber of <prefix>/#.
struct TopicName {
    std::string site, gateway;
    TopicKind kind = TopicKind::status;
    std::string arg;  // the verb of a cmd, the nonce of export_chunks; empty otherwise
};

// nullopt for a topic outside the prefix or not in the table above (a county subscriber
// skips it); empty levels and the MQTT wildcards +/# in a level are refused.
std::optional<TopicName> parse_topic(std::string_view prefix, std::string_view topic);

}  // namespace sealwatch::wire
