// Photos of incidents (county.hpp): who may add one, its commit with its event in the trail, and
// the reads of what is stored.
#include "layers/county/county.hpp"

#include "core/errors.hpp"
#include "layers/model/text.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace onemap::layers {

namespace {

// Whether `actor` takes part in the incident or holds it: the people of its loop, and the staff
// whose area or department holds it (workflow.hpp's rules of scope).
bool may_add_media(const Incident& in, const Actor& actor) {
  if (actor.role == "admin") return true;
  if (!in.reporter.empty() && in.reporter == actor.id) return true;
  const auto is_actor = [&](const std::string& who) {
    return !who.empty() && (who == actor.id || who == actor.worker_id);
  };
  if (is_actor(in.assignee) || is_actor(in.handler)) return true;
  if (actor.role == "worker")
    return actor.grid_head() && !actor.team_grid.empty() &&
           (in.join.grid_code == actor.team_grid || in.agency == actor.team_grid);
  // A department's scope holds its own code: the cases it leads or shares (co_agencies).
  if (actor.role == "department" || actor.role == "centre") return in_scope(in, actor);
  return false;
}

}  // namespace

void County::load_media_index() {
  for (auto& m : store_->load_media_index()) {
    next_media_id_ = std::max(next_media_id_, m.id + 1);
    media_incident_[m.id] = m.incident;
    media_[m.incident].push_back(std::move(m));
  }
}

MediaInfo County::attach_media(int64_t fid, Media media, const Actor& actor, int64_t now) {
  MediaInfo& info = media.info;
  if (std::find(kMediaKinds.begin(), kMediaKinds.end(), info.kind) == kMediaKinds.end())
    throw InvalidArgument("kind", "must be report, before or after");
  const int64_t at = clock(now);
  auto lock = write_lock();
  const Incident& in = data_.incidents[incident_index(fid)];
  if (!may_add_media(in, actor))
    throw Forbidden(actor.id + " takes no part in incident " + std::to_string(fid) +
                        " and its area is not " + actor.id + "'s: no photo may be added",
                    "forbidden_scope");
  info.id = next_media_id_;
  info.incident = fid;
  info.uploaded_by = actor.id;
  info.at = at;
  IncidentEvent event =
      make_event(in, actor, "media", in.status, in.status, "",
                 json_text(nlohmann::ordered_json{{"media", info.id}, {"kind", info.kind}}), at);
  Store::Batch batch;
  batch.media.push_back(&media);
  batch.events.push_back({&event});
  store_->put(batch);  // on disk before the answer: WriteLock
  ++next_media_id_;

  std::unique_lock memory(mutex_);
  events_[fid].push_back(std::move(event));
  media_incident_[info.id] = fid;
  media_[fid].push_back(info);
  return info;
}

const std::vector<MediaInfo>& County::media_of(int64_t fid) const {
  static const std::vector<MediaInfo> none;
  const auto it = media_.find(fid);
  return it == media_.end() ? none : it->second;
}

MediaInfo County::media_info(int64_t id) const {
  auto lock = read();
  const auto it = media_incident_.find(id);
  if (it != media_incident_.end())
    for (const MediaInfo& m : media_.at(it->second))
      if (m.id == id) return m;
  throw NotFound("no photo with id " + std::to_string(id));
}

std::string County::media_bytes(int64_t id, MediaPart part) const {
  std::optional<std::string> bytes;
  {
    const std::lock_guard store(write_mutex_);
    bytes = store_->load_media_bytes(id, part);
  }
  if (!bytes) throw NotFound("no photo with id " + std::to_string(id));
  return std::move(*bytes);
}

}  // namespace onemap::layers
