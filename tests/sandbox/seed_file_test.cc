// The sandbox seed file (manifest/seed_file.h): SQL servers and disk
// encryption sets beside storage accounts, their name rules and members,
// and errors that name file:line:col, all collected.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "manifest/seed_file.h"

namespace cmk {
namespace {

class SeedFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/cmk_seed_file_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string Write(const std::string& text) {
    std::string path = dir_ + "/sandbox-seed.yaml";
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
    return path;
  }
  std::string dir_;
};

TEST_F(SeedFileTest, ReadsSqlServersAndDiskEncryptionSets) {
  std::string path = Write(R"(storageAccounts:
  - name: bankdata01
    subscription: 00000000-0000-0000-0000-000000000001
    resourceGroup: rg-data
    location: westeurope
sqlServers:
  - name: bank-sql-01
    subscription: 00000000-0000-0000-0000-000000000001
    resourceGroup: rg-sql
    location: westeurope
    systemIdentity: false
    adoptionDelay: PT2H
    backupRetention: P35D
    tags: {owner: dba}
diskEncryptionSets:
  - name: Bank_DES-01
    subscription: 00000000-0000-0000-0000-000000000001
    resourceGroup: rg-vm
    location: westeurope
)");
  auto seed = LoadSeedFile(path);
  ASSERT_TRUE(seed.ok()) << seed.status().ToString();
  ASSERT_EQ(seed->accounts.size(), 3u);
  const SeedAccount& storage = seed->accounts[0];
  EXPECT_EQ(storage.account.kind, ConsumerKind::kStorage);
  EXPECT_FALSE(storage.adoption_delay_seconds.has_value());  // the kind's default applies
  const SeedAccount& sql = seed->accounts[1];
  EXPECT_EQ(sql.account.kind, ConsumerKind::kSqlServer);
  EXPECT_EQ(sql.account.name, "bank-sql-01");
  EXPECT_EQ(sql.account.resource_group, "rg-sql");
  EXPECT_FALSE(sql.system_identity);
  EXPECT_EQ(sql.adoption_delay_seconds, 7200);
  EXPECT_EQ(sql.backup_retention_seconds, 35 * 86400);
  EXPECT_EQ(sql.account.tags.at("owner"), "dba");
  const SeedAccount& des = seed->accounts[2];
  EXPECT_EQ(des.account.kind, ConsumerKind::kDiskEncryptionSet);
  EXPECT_EQ(des.account.name, "Bank_DES-01");
  EXPECT_TRUE(des.system_identity);
  EXPECT_FALSE(des.backup_retention_seconds.has_value());
}

TEST_F(SeedFileTest, ErrorsNameFileLineColumnAndAreAllReported) {
  std::string path = Write(R"(sqlServers:
  - name: -bank-sql
    subscription: s
    resourceGroup: rg
    location: westeurope
    backupRetention: P1X
  - name: Bank_SQL
    subscription: s
    resourceGroup: rg
diskEncryptionSets:
  - name: bank.des
    subscription: s
    resourceGroup: rg
    location: westeurope
    backupRetention: P7D
  - name: ok-des
    subscription: s
    resourceGroup: rg
    location: westeurope
    adoptionDelay: soon
)");
  auto seed = LoadSeedFile(path);
  ASSERT_FALSE(seed.ok());
  const std::string m = seed.status().message();
  auto has = [&](const std::string& what) {
    EXPECT_NE(m.find(what), std::string::npos) << "missing: " << what << "\nin:\n" << m;
  };
  has(path + ":2:11: error: SQL server name '-bank-sql' must be 1-63 lower-case letters, digits and "
             "hyphens, not starting or ending with a hyphen");
  has(path + ":6:22: error: ");  // the bad backupRetention duration
  has(path + ":7:11: error: SQL server name 'Bank_SQL' must be");
  has(path + ":7:5: error: missing required field 'location'");
  has(path + ":11:11: error: disk encryption set name 'bank.des' must be 1-80 letters, digits, "
             "underscores and hyphens");
  has(path + ":15:5: error: unknown field 'backupRetention'");
  has(path + ":20:20: error: ");  // adoptionDelay: soon
  EXPECT_EQ(std::count(m.begin(), m.end(), '\n') + 1, 7) << m;
}

TEST_F(SeedFileTest, ConsumerListsMustBeListsOfMappings) {
  std::string path = Write("sqlServers: bank-sql\ndiskEncryptionSets:\n  - just-a-name\n");
  auto seed = LoadSeedFile(path);
  ASSERT_FALSE(seed.ok());
  const std::string m = seed.status().message();
  EXPECT_NE(m.find(path + ":1:13: error: expected a list"), std::string::npos) << m;
  EXPECT_NE(m.find(path + ":3:5: error: a disk encryption set is a mapping"), std::string::npos) << m;
}

}  // namespace
}  // namespace cmk
