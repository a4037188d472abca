import { Migration } from '@mikro-orm/migrations';

export class Migration20261125210844 extends Migration {

  override async up(): Promise<void> {

    this.addSql(`alter table "integration_oauth_states" add column "browser_binding_hash" varchar(64) null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "integration_oauth_states" drop column "browser_binding_hash";`);

  }

}
