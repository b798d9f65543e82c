using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Floodgate.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class TransactionSubjects : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Subject",
                table: "TransactionLog",
                type: "TEXT",
                maxLength: 200,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_TransactionLog_ClientId_Time",
                table: "TransactionLog",
                columns: new[] { "ClientId", "Time" });

            migrationBuilder.CreateIndex(
                name: "IX_TransactionLog_MailboxId_Time",
                table: "TransactionLog",
                columns: new[] { "MailboxId", "Time" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_TransactionLog_ClientId_Time",
                table: "TransactionLog");

            migrationBuilder.DropIndex(
                name: "IX_TransactionLog_MailboxId_Time",
                table: "TransactionLog");

            migrationBuilder.DropColumn(
                name: "Subject",
                table: "TransactionLog");
        }
    }
}
