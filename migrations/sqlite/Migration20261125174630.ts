import { Migration } from '@mikro-orm/migrations';

export class Migration20261125174630 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table \`search_entries\` add column \`role\` text null;`);
  }

}
