import { Migration } from '@mikro-orm/migrations';

export class Migration20261125181828 extends Migration {

  override async up(): Promise<void> {

    this.addSql(`alter table "document_chunks" add column "embedding" jsonb null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "document_chunks" drop column "embedding";`);

  }

}
