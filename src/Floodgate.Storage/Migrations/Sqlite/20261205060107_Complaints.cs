using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Floodgate.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Complaints : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "Complaints",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ReceivedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    BounceMessageId = table.Column<long>(type: "INTEGER", nullable: false),
                    Source = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    MailboxId = table.Column<int>(type: "INTEGER", nullable: true),
                    MailboxAddress = table.Column<string>(type: "TEXT", maxLength: 320, nullable: true),
                    DomainId = table.Column<int>(type: "INTEGER", nullable: true),
                    ClientId = table.Column<int>(type: "INTEGER", nullable: true),
                    Attribution = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    Note = table.Column<string>(type: "TEXT", maxLength: 500, nullable: false),
                    FeedbackType = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    UserAgent = table.Column<string>(type: "TEXT", maxLength: 255, nullable: true),
                    Reporter = table.Column<string>(type: "TEXT", maxLength: 255, nullable: true),
                    OriginalMessageId = table.Column<string>(type: "TEXT", maxLength: 998, nullable: true),
                    OriginalRecipient = table.Column<string>(type: "TEXT", maxLength: 320, nullable: true),
                    OriginalMailFrom = table.Column<string>(type: "TEXT", maxLength: 320, nullable: true),
                    SourceIp = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    FeedbackId = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    RelayedAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Complaints", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_TransactionLog_MessageId",
                table: "TransactionLog",
                column: "MessageId");

            migrationBuilder.CreateIndex(
                name: "IX_Complaints_ClientId_ReceivedAt",
                table: "Complaints",
                columns: new[] { "ClientId", "ReceivedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Complaints_MailboxId_ReceivedAt",
                table: "Complaints",
                columns: new[] { "MailboxId", "ReceivedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Complaints_ReceivedAt",
                table: "Complaints",
                column: "ReceivedAt");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "Complaints");

            migrationBuilder.DropIndex(
                name: "IX_TransactionLog_MessageId",
                table: "TransactionLog");
        }
    }
}
