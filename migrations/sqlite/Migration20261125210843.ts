import { Migration } from '@mikro-orm/migrations';

export class Migration20261125210843 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table \`integration_oauth_states\` add column \`browser_binding_hash\` text null;`);
  }

}
