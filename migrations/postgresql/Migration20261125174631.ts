import { Migration } from '@mikro-orm/migrations';

export class Migration20261125174631 extends Migration {

  override async up(): Promise<void> {

    this.addSql(`alter table "search_entries" add column "role" varchar(16) null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "search_entries" drop column "role";`);

  }

}
