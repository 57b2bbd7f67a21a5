#include "sandbox/material_pool.h"

#include <utility>

namespace cmk {

MaterialPool::MaterialPool(unsigned threads) : threads_(threads == 0 ? 1 : threads) {}

MaterialPool::~MaterialPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  work_.notify_all();
  for (auto& t : workers_) t.join();
}

void MaterialPool::StartLocked() {
  if (!workers_.empty()) return;
  workers_.reserve(threads_);
  for (unsigned i = 0; i < threads_; ++i) workers_.emplace_back([this] { Work(); });
}

void MaterialPool::Submit(const std::string& row, const MaterialSpec& spec) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    uint64_t ticket = next_ticket_++;
    entries_.insert_or_assign(row, Entry{spec, State::kQueued, ticket, std::nullopt});
    queue_.emplace_back(row, ticket);
    StartLocked();
  }
  work_.notify_one();
}

void MaterialPool::Work() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    work_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (stop_) return;
    auto [row, ticket] = std::move(queue_.front());
    queue_.pop_front();
    auto it = entries_.find(row);
    if (it == entries_.end() || it->second.ticket != ticket || it->second.state != State::kQueued) {
      if (queue_.empty()) done_.notify_all();  // taken or replaced meanwhile
      continue;
    }
    it->second.state = State::kMaking;
    MaterialSpec spec = it->second.spec;
    ++making_;
    lock.unlock();
    Result<PrivateKey> made = GenerateKey(spec.kty, spec.size, spec.curve);
    lock.lock();
    --making_;
    it = entries_.find(row);
    if (it != entries_.end() && it->second.ticket == ticket) {
      it->second.made = std::move(made);
      it->second.state = State::kMade;
    }
    done_.notify_all();
  }
}

std::optional<Result<PrivateKey>> MaterialPool::Take(const std::string& row,
                                                     const MaterialSpec& spec) {
  std::unique_lock<std::mutex> lock(mu_);
  auto it = entries_.find(row);
  if (it == entries_.end()) return std::nullopt;
  if (it->second.spec != spec || it->second.state == State::kQueued) {
    entries_.erase(it);  // a queued row's stale queue slot is skipped
    return std::nullopt;
  }
  const uint64_t ticket = it->second.ticket;
  done_.wait(lock, [&] {
    it = entries_.find(row);
    return it == entries_.end() || it->second.ticket != ticket || it->second.state == State::kMade;
  });
  if (it == entries_.end() || it->second.ticket != ticket) return std::nullopt;
  std::optional<Result<PrivateKey>> out = std::move(it->second.made);
  entries_.erase(it);
  return out;
}

std::vector<MaterialPool::Made> MaterialPool::TakeMade(bool wait) {
  std::unique_lock<std::mutex> lock(mu_);
  if (wait && !workers_.empty())
    done_.wait(lock, [this] { return stop_ || (queue_.empty() && making_ == 0); });
  std::vector<Made> out;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.state != State::kMade) {
      ++it;
      continue;
    }
    if (it->second.made && it->second.made->ok())
      out.push_back(Made{it->first, it->second.spec, std::move(*it->second.made).value()});
    it = entries_.erase(it);
  }
  return out;
}

void MaterialPool::DropQueued() {
  std::lock_guard<std::mutex> lock(mu_);
  queue_.clear();
  for (auto it = entries_.begin(); it != entries_.end();)
    it = it->second.state == State::kQueued ? entries_.erase(it) : std::next(it);
  done_.notify_all();
}

size_t MaterialPool::queued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

}  // namespace cmk
