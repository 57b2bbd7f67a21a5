// MaterialPool: material made ahead on background threads, taken once, and
// only by a caller asking for the same parameters.
#include "sandbox/material_pool.h"

#include <gtest/gtest.h>

#include <set>

#include "sandbox_test_util.h"

namespace cmk {
namespace {

const MaterialSpec kRsa{"RSA", 2048, ""};
const MaterialSpec kEc{"EC", 0, "P-256"};
const MaterialSpec kOct{"oct-HSM", 256, ""};

size_t ModulusChars(const PrivateKey& key) {
  auto jwk = PublicJwkOf(key);
  return jwk.ok() ? jwk->n.size() : 0;
}

TEST(MaterialPool, MakesWhatWasSubmittedToItsParameters) {
  MaterialPool pool(2);
  pool.Submit("kv/a/1", kRsa);
  pool.Submit("kv/b/1", kEc);
  pool.Submit("kv/c/1", kOct);
  std::vector<MaterialPool::Made> made = pool.TakeMade(/*wait=*/true);
  ASSERT_EQ(made.size(), 3u);
  std::set<std::string> rows;
  for (const auto& m : made) {
    rows.insert(m.row);
    if (m.row == "kv/a/1") {
      EXPECT_EQ(m.spec, kRsa);
      EXPECT_EQ(m.key.kty, "RSA");
      EXPECT_EQ(ModulusChars(m.key), 342u);  // base64url of 256 bytes
    } else if (m.row == "kv/b/1") {
      EXPECT_EQ(m.key.kty, "EC");
    } else {
      EXPECT_EQ(m.key.kty, "oct");
      EXPECT_EQ(m.key.material.size(), 32u);
    }
  }
  EXPECT_EQ(rows.size(), 3u);
  EXPECT_TRUE(pool.TakeMade(true).empty());  // taken once
  EXPECT_FALSE(pool.Take("kv/a/1", kRsa).has_value());
}

TEST(MaterialPool, TakeGivesTheRowItsOwnMaterialOnce) {
  MaterialPool pool(1);
  pool.Submit("kv/a/1", kRsa);
  pool.Submit("kv/a/2", kRsa);
  // Once made, Take hands it over (and nothing is left for TakeMade).
  std::vector<MaterialPool::Made> made = pool.TakeMade(true);
  ASSERT_EQ(made.size(), 2u);
  pool.Submit("kv/a/3", kRsa);
  // Being made: Take waits; still queued: nullopt, and the caller makes it.
  auto taken = pool.Take("kv/a/3", kRsa);
  if (taken) {
    CMK_ASSERT_OK(*taken);
    EXPECT_EQ(ModulusChars(**taken), 342u);  // base64url of 256 bytes
  }
  EXPECT_FALSE(pool.Take("kv/a/3", kRsa).has_value());
  EXPECT_TRUE(pool.TakeMade(true).empty());
  EXPECT_FALSE(pool.Take("kv/unknown/1", kRsa).has_value());
}

TEST(MaterialPool, OtherParametersGetNothing) {
  MaterialPool pool(1);
  pool.Submit("kv/a/1", kEc);
  // The row was created again as an RSA key (the first transaction rolled
  // back): the EC material must not be handed out for it.
  EXPECT_FALSE(pool.Take("kv/a/1", kRsa).has_value());
  EXPECT_TRUE(pool.TakeMade(true).empty());
  // A resubmission replaces the earlier entry.
  pool.Submit("kv/b/1", kEc);
  pool.Submit("kv/b/1", kOct);
  std::vector<MaterialPool::Made> made = pool.TakeMade(true);
  ASSERT_EQ(made.size(), 1u);
  EXPECT_EQ(made[0].spec, kOct);
  EXPECT_EQ(made[0].key.kty, "oct");
}

TEST(MaterialPool, DroppedQueueIsNotMade) {
  MaterialPool pool(1);
  for (int i = 0; i < 20; ++i) pool.Submit("kv/k/" + std::to_string(i), kRsa);
  pool.DropQueued();
  EXPECT_EQ(pool.queued(), 0u);
  // At most what a worker had started on is made.
  EXPECT_LE(pool.TakeMade(true).size(), 2u);
}

TEST(MaterialPool, StopsWithWorkQueued) {
  // The destructor must not wait for the queue (nor hang).
  MaterialPool pool(2);
  for (int i = 0; i < 50; ++i) pool.Submit("kv/k/" + std::to_string(i), kRsa);
}

}  // namespace
}  // namespace cmk
