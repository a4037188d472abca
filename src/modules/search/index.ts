import { resolver, service, type ModuleManifest } from '../manifest.js';
import { SearchEntry } from './search.entities.js';
import { SearchResolver } from './search.resolver.js';
import { searchRoutes } from './search.rest.js';
import { REBUILD_JOB, SearchService } from './search.service.js';

export { ContentKind, type ContentKindValue } from './search.enums.js';
export { keywords, SEARCH_ENTRY_COLUMNS, terms, type IndexEntry, type SearchSource } from './search.service.js';
export { SearchHitType, type Passage, type SearchHit } from './search.types.js';
export { REBUILD_JOB, SearchService };

declare module '../manifest.js' {
  interface ServiceMap {
    search: SearchService;
  }
}

/** The full-text index over everything a user wrote: only `SearchService` writes `search_entries`. */
export const searchModule: ModuleManifest = {
  name: 'search',
  entities: [SearchEntry],
  // Rebuilds run as jobs (src/jobs/).
  services: [
    service('search', ['config', 'jobs'], ({ config, jobs }) => {
      const search = new SearchService(config.db.driver);
      search.useJobs(jobs);
      return search;
    }),
  ],
  resolvers: [resolver(SearchResolver, (s) => new SearchResolver(s.search))],
  routes: searchRoutes,
};
