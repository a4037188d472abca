import { resolver, service, type ModuleManifest } from '../manifest.js';
import { SearchEntry, SearchReindex } from './search.entities.js';
import { SearchMaintenance } from './search-maintenance.service.js';
import { SearchMaintenanceResolver, SearchResolver } from './search.resolver.js';
import { searchRoutes } from './search.rest.js';
import { REBUILD_JOB, SearchService } from './search.service.js';

export { ContentKind, type ContentKindValue } from './search.enums.js';
export { keywords, SEARCH_ENTRY_COLUMNS, terms, type IndexEntry, type SearchSource } from './search.service.js';
export { SearchHitType, type Passage, type SearchHit } from './search.types.js';
export { REBUILD_JOB, SearchService };

declare module '../manifest.js' {
  interface ServiceMap {
    search: SearchService;
    searchMaintenance: SearchMaintenance;
  }
}

/** The full-text index over everything a user wrote: only `SearchService` writes `search_entries`. */
export const searchModule: ModuleManifest = {
  name: 'search',
  entities: [SearchEntry, SearchReindex],
  // Rebuilds run as jobs (src/jobs/): `search.rebuild` for the operator's script, `search.reindex` for platform administrators.
  services: [
    service('search', ['config', 'jobs', 'clock'], ({ config, jobs, clock }) => {
      const search = new SearchService(config.db.driver, clock);
      search.useJobs(jobs);
      return search;
    }),
    service('searchMaintenance', ['search', 'jobs', 'clock', 'config'], ({ search, jobs, clock, config }) => new SearchMaintenance(search, jobs, clock, config)),
  ],
  resolvers: [resolver(SearchResolver, (s) => new SearchResolver(s.search)), resolver(SearchMaintenanceResolver, (s) => new SearchMaintenanceResolver(s.searchMaintenance))],
  routes: searchRoutes,
};
