import { Migration } from '@mikro-orm/migrations';

export class Migration20261206040640 extends Migration {

  override name = 'Migration20261206040640';

  override up(): void | Promise<void> {

    this.addSql(`create index "documents_file_key_index" on "documents" ("file_key");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "documents_file_key_index";`);

  }

}
