import { resolver, service, type ModuleManifest } from '../manifest.js';
import { SearchEntry, SearchReindex } from './search.entities.js';
import { REINDEX_JOB, SearchMaintenance } from './search-maintenance.service.js';
import { SearchMaintenanceResolver, SearchResolver } from './search.resolver.js';
import { searchRoutes } from './search.rest.js';
import { SearchService } from './search.service.js';

export { ContentKind, type ContentKindValue } from './search.enums.js';
export { keywords, SEARCH_ENTRY_COLUMNS, terms, type IndexEntry, type SearchSource } from './search.service.js';
export { SearchHitType, type Passage, type SearchHit } from './search.types.js';
export { REINDEX_JOB, SearchMaintenance, SearchService };

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
  // Rebuilds run as one kind of job (src/jobs/), `search.reindex`, whoever asks: platform administrators, the operator's script.
  services: [
    service('search', ['config', 'clock'], ({ config, clock }) => new SearchService(config.db.driver, clock)),
    service('searchMaintenance', ['search', 'jobs', 'clock', 'config'], ({ search, jobs, clock, config }) => new SearchMaintenance(search, jobs, clock, config)),
  ],
  resolvers: [resolver(SearchResolver, (s) => new SearchResolver(s.search)), resolver(SearchMaintenanceResolver, (s) => new SearchMaintenanceResolver(s.searchMaintenance))],
  routes: searchRoutes,
};
