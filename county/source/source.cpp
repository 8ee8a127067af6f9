#include "county/source/source.hpp"

#include "county/config.hpp"
#include "county/source/amqp_source.hpp"
#include "county/source/mqtt_source.hpp"

namespace sealwatch::county {

std::unique_ptr<Source> make_source(const Config& config) {
    if (config.source.kind == SourceSettings::Kind::amqp)
        return std::make_unique<AmqpSource>(config.source.amqp);
    return std::make_unique<MqttSource>(config.broker);
}

}  // namespace sealwatch::county
