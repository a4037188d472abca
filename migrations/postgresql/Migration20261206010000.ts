import { Migration } from '@mikro-orm/migrations';

/**
 * Deleting an organization used to leave its documents' search entries behind (the documents
 * went with the organization, by a cascading foreign key; the entries name them without one), so
 * their uploaders still found those passages. The deletion now removes them
 * (KnowledgeService.removeOrganizationDocuments); this removes those left by earlier ones.
 */
export class Migration20261206010000 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`delete from search_entries where type = 'document' and document_id is not null and not exists (select 1 from documents d where d.id = search_entries.document_id);`);
  }

}
