// The nonces of accepted county commands survive a restart (a reopened database) and are
// forgotten only after their time.
#include <gtest/gtest.h>

#include "store/store.hpp"
#include "test_support.hpp"

using namespace sealwatch;
using sealwatch::test_support::TempDir;

TEST(StoreCommandNonces, RememberedAcrossAReopenUntilTheirTime) {
    TempDir dir;
    const WallMs now = 1795298400000;
    {
        auto s = store::Store::open(dir.db(), {});
        ASSERT_TRUE(s) << s.error().message;
        EXPECT_FALSE(s->command_nonce_seen("n0nce-0123456789abcdef").value());
        ASSERT_TRUE(s->remember_command_nonce("n0nce-0123456789abcdef", now + 1000));
        ASSERT_TRUE(s->remember_command_nonce("other-nonce-0123456789", now + 5000));
        EXPECT_TRUE(s->command_nonce_seen("n0nce-0123456789abcdef").value());
    }
    auto s = store::Store::open(dir.db(), {});
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_TRUE(s->command_nonce_seen("n0nce-0123456789abcdef").value());
    EXPECT_EQ(s->forget_command_nonces(now + 1000).value(), 0) << "kept up to its time";
    EXPECT_EQ(s->forget_command_nonces(now + 1001).value(), 1);
    EXPECT_FALSE(s->command_nonce_seen("n0nce-0123456789abcdef").value());
    EXPECT_TRUE(s->command_nonce_seen("other-nonce-0123456789").value());
}

TEST(StoreCommandNonces, RememberingTwiceKeepsTheLaterTime) {
    TempDir dir;
    auto s = store::Store::open(dir.db(), {});
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->remember_command_nonce("n0nce-0123456789abcdef", 5000));
    ASSERT_TRUE(s->remember_command_nonce("n0nce-0123456789abcdef", 1000));
    EXPECT_EQ(s->forget_command_nonces(4999).value(), 0);
    EXPECT_EQ(s->forget_command_nonces(5001).value(), 1);
}
