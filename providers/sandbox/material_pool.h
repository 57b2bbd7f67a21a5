// MaterialPool: key material made ahead, on background threads, for key
// versions the sandbox created but nobody has used yet.
//
// Creating a version does not block on RSA generation (the slowest thing the
// sandbox does); the version's row is queued here instead and the material is
// made while the caller goes on. Its first use (public key, wrap, unwrap)
// takes what the pool made, waits for a generation already under way, or
// makes it inline when the pool has not started on it: the first use never
// waits behind other versions' work. Whoever takes material stores it.
//
// Material is keyed by version row and the parameters it was made for: a
// row rolled back and created again with other parameters does not get the
// first one's material.
//
// Thread-safe. Workers start on the first Submit; the destructor stops them
// (what is queued is dropped, what is being made is finished and dropped).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "crypto/crypto.h"

namespace cmk {

struct MaterialSpec {
  std::string kty;  // as the version was created: RSA, RSA-HSM, EC, EC-HSM, oct-HSM
  int size = 0;
  std::string curve;
  bool operator==(const MaterialSpec&) const = default;
};

class MaterialPool {
 public:
  struct Made {
    std::string row;
    MaterialSpec spec;
    PrivateKey key;
  };

  explicit MaterialPool(unsigned threads);
  ~MaterialPool();
  MaterialPool(const MaterialPool&) = delete;
  MaterialPool& operator=(const MaterialPool&) = delete;

  // Queue `row` (replacing whatever the pool held for it).
  void Submit(const std::string& row, const MaterialSpec& spec);
  // The material for `row` made to `spec`, now taken out of the pool: made
  // already, or waited for while a worker makes it. nullopt when the pool
  // holds nothing for it (the row is unqueued, so the caller makes it).
  std::optional<Result<PrivateKey>> Take(const std::string& row, const MaterialSpec& spec);
  // Everything made so far, taken out of the pool; with `wait`, after the
  // queue has been worked off. Failed generations are dropped (the first use
  // makes the material again and reports the error).
  std::vector<Made> TakeMade(bool wait);
  // Drop what is queued (not what is being made).
  void DropQueued();
  size_t queued() const;

 private:
  enum class State { kQueued, kMaking, kMade };
  struct Entry {
    MaterialSpec spec;
    State state = State::kQueued;
    uint64_t ticket = 0;  // which Submit this entry is
    std::optional<Result<PrivateKey>> made;
  };
  void Work();
  void StartLocked();

  const unsigned threads_;
  mutable std::mutex mu_;
  std::condition_variable work_;  // a row was queued, or stop
  std::condition_variable done_;  // a row was made
  std::deque<std::pair<std::string, uint64_t>> queue_;  // row, ticket (stale tickets skipped)
  std::unordered_map<std::string, Entry> entries_;
  uint64_t next_ticket_ = 0;
  size_t making_ = 0;
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace cmk
