#include "engine/inventory/inventory.h"

#include <gtest/gtest.h>

#include "engine/apply/apply.h"
#include "engine/diff/diff.h"
#include "engine/read/live_reader.h"
#include "scenario.h"
#include "test_cloud.h"

namespace cmk {
namespace {


class InventoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cloud_.SeedStorageAccount(Account("bankdata01"));
    cloud_.SeedStorageAccount(Account("archive01"));
  }
  void ApplyNow(const DesiredState& d) {
    DiffOptions o;
    o.now = cloud_.Now();
    Plan p = PlanAgainst(cloud_, d, o);
    ASSERT_FALSE(p.HasErrors());
    ASSERT_TRUE(Apply(p, cloud_, nullptr).status.ok());
  }
  TestCloud cloud_;
};

// Before anything is applied the inventory is empty, not an error: show on a
// fresh estate says what is absent.
TEST_F(InventoryTest, NothingAppliedYet) {
  Result<Inventory> inv = BuildInventory(BankDesired(), cloud_);
  ASSERT_TRUE(inv.ok()) << inv.status().ToString();
  EXPECT_EQ(inv->target.kind, "sandbox");
  EXPECT_EQ(inv->now, cloud_.Now());
  EXPECT_TRUE(inv->live.keys.empty());
  EXPECT_TRUE(inv->consumers.empty());
  EXPECT_TRUE(inv->ConsumersOf("bank-kv", "bank-cmk", "anything").empty());
}

// Each version's consumers come from the accounts' own evidence, grouped by
// key and version whatever the case of the key id, with the pin kept; the
// key's findings are the Diff's version table for its desired address.
TEST_F(InventoryTest, ConsumersByVersionAndFindingsByAddress) {
  DesiredState d = BankDesired();
  ApplyNow(d);
  Result<Inventory> inv = BuildInventory(d, cloud_);
  ASSERT_TRUE(inv.ok()) << inv.status().ToString();
  ASSERT_EQ(inv->live.keys.size(), 1u);
  const KeyState& key = inv->live.keys.begin()->second;
  ASSERT_FALSE(key.versions.empty());
  const std::string version = key.versions.back().version;

  const auto& users = inv->ConsumersOf("BANK-KV", "Bank-Cmk", version);
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[0].name, "archive01");  // sorted by address
  EXPECT_EQ(users[1].name, "bankdata01");
  EXPECT_FALSE(users[0].pinned);
  EXPECT_TRUE(inv->ConsumersOf("bank-kv", "bank-cmk", "0000").empty());

  EXPECT_EQ(inv->AddressOf(key), "key/bank-cmk");
  const KeyVersions* table = inv->TableOf("key/bank-cmk");
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(table->address, "key/bank-cmk");
  ASSERT_EQ(table->versions.size(), key.versions.size());
  EXPECT_EQ(inv->TableOf("key/not-declared"), nullptr);
  KeyState stranger = key;
  stranger.name = "not-declared";
  EXPECT_EQ(inv->AddressOf(stranger), "");
}

}  // namespace
}  // namespace cmk
