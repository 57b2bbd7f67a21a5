// Dependents: facts the sandbox derives from its rows (whether an account can
// use its key, which events an object will produce as time passes), kept up
// to date by what changed instead of being recomputed for the whole estate.
//
// A subject ("consumer:<row>", "key:<vault>/<key>", ...) is computed from
// topics ("vault:<row>", "principal:<id>", ...) and may depend on the clock up
// to a time (an expiry, a not-before). When a topic is touched, every subject
// recorded as depending on it goes stale, and so does the subject that bears
// the topic's own name when it belongs to this set (see the constructor):
// that is how a new row becomes a subject. A subject also goes stale when the
// clock reaches its recheck time or goes backwards. Reset() makes everything
// stale, which the owner answers by recomputing every subject.
//
// Costs: Touch is O(dependents of the topic); Take is O(stale subjects + due
// rechecks); Record is O(topics). Thread-compatible.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace cmk {

class Dependents {
 public:
  // Topics starting with one of `subject_prefixes` name subjects of this set.
  explicit Dependents(std::vector<std::string> subject_prefixes)
      : prefixes_(std::move(subject_prefixes)) {}

  void Touch(const std::string& topic);
  void Reset();

  struct Stale {
    bool all = false;                   // recompute every subject
    std::vector<std::string> subjects;  // else these, sorted
  };
  // What must be recomputed at `now`; clears the stale set.
  Stale Take(int64_t now);

  // `subject` was just computed from `topics`, and holds until `recheck_at`
  // (when set). Replaces what the subject had; the subject is no longer stale.
  void Record(const std::string& subject, const std::vector<std::string>& topics,
              std::optional<int64_t> recheck_at);
  // `subject` no longer exists (its row is gone).
  void Forget(const std::string& subject);

  size_t size() const { return topics_of_.size(); }

 private:
  bool IsSubject(const std::string& topic) const;
  void Unlink(const std::string& subject);

  std::vector<std::string> prefixes_;
  bool all_ = true;  // nothing computed yet
  std::optional<int64_t> last_now_;
  std::unordered_set<std::string> stale_;
  std::unordered_map<std::string, std::unordered_set<std::string>> subjects_of_;  // topic ->
  std::unordered_map<std::string, std::vector<std::string>> topics_of_;          // subject ->
  std::multimap<int64_t, std::string> rechecks_;
  std::unordered_map<std::string, std::multimap<int64_t, std::string>::iterator> recheck_of_;
};

}  // namespace cmk
