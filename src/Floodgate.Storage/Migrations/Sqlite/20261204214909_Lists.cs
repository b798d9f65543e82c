using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Floodgate.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Lists : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "BounceMessages",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ReceivedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    Source = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    EnvelopeRecipient = table.Column<string>(type: "TEXT", maxLength: 320, nullable: true),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    Error = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true),
                    Size = table.Column<long>(type: "INTEGER", nullable: false),
                    Truncated = table.Column<bool>(type: "INTEGER", nullable: false),
                    Raw = table.Column<byte[]>(type: "BLOB", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BounceMessages", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Lists",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ClientId = table.Column<int>(type: "INTEGER", nullable: false),
                    DomainId = table.Column<int>(type: "INTEGER", nullable: false),
                    Address = table.Column<string>(type: "TEXT", maxLength: 320, nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Description = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    Posters = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: false),
                    Status = table.Column<int>(type: "INTEGER", nullable: false),
                    PendingLifetimeHours = table.Column<int>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Lists", x => x.Id);
                    table.CheckConstraint("CK_Lists_Address_Lower", "\"Address\" = lower(\"Address\")");
                    table.ForeignKey(
                        name: "FK_Lists_Clients_ClientId",
                        column: x => x.ClientId,
                        principalTable: "Clients",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "FK_Lists_Domains_DomainId",
                        column: x => x.DomainId,
                        principalTable: "Domains",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "SigningKeys",
                columns: table => new
                {
                    Name = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Key = table.Column<byte[]>(type: "BLOB", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SigningKeys", x => x.Name);
                });

            migrationBuilder.CreateTable(
                name: "Bounces",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    BounceMessageId = table.Column<long>(type: "INTEGER", nullable: false),
                    ReceivedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    Recipient = table.Column<string>(type: "TEXT", maxLength: 320, nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Reason = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Hard = table.Column<bool>(type: "INTEGER", nullable: false),
                    Impact = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    FeedbackType = table.Column<string>(type: "TEXT", maxLength: 40, nullable: true),
                    Diagnostic = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: false),
                    ListId = table.Column<int>(type: "INTEGER", nullable: true),
                    MemberId = table.Column<int>(type: "INTEGER", nullable: true),
                    MailboxId = table.Column<int>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Bounces", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Bounces_BounceMessages_BounceMessageId",
                        column: x => x.BounceMessageId,
                        principalTable: "BounceMessages",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "ListMembers",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ListId = table.Column<int>(type: "INTEGER", nullable: false),
                    Address = table.Column<string>(type: "TEXT", maxLength: 320, nullable: false),
                    Status = table.Column<int>(type: "INTEGER", nullable: false),
                    RequestedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    RequestMethod = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    RequestFrom = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    RequestUserAgent = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    ConfirmationSentAt = table.Column<long>(type: "INTEGER", nullable: true),
                    ConfirmationsSent = table.Column<int>(type: "INTEGER", nullable: false),
                    ConfirmedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    ConfirmMethod = table.Column<string>(type: "TEXT", maxLength: 20, nullable: true),
                    ConfirmedFrom = table.Column<string>(type: "TEXT", maxLength: 320, nullable: true),
                    ConfirmedUserAgent = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    UnsubscribedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    UnsubscribeMethod = table.Column<string>(type: "TEXT", maxLength: 40, nullable: true),
                    BounceScore = table.Column<double>(type: "REAL", nullable: false),
                    LastBounceAt = table.Column<long>(type: "INTEGER", nullable: true),
                    BounceCountedToday = table.Column<double>(type: "REAL", nullable: false),
                    DisabledAt = table.Column<long>(type: "INTEGER", nullable: true),
                    ReenableSentAt = table.Column<long>(type: "INTEGER", nullable: true),
                    RemovedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    UpdatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ListMembers", x => x.Id);
                    table.CheckConstraint("CK_ListMembers_Address_Lower", "\"Address\" = lower(\"Address\")");
                    table.ForeignKey(
                        name: "FK_ListMembers_Lists_ListId",
                        column: x => x.ListId,
                        principalTable: "Lists",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "ListPosts",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ListId = table.Column<int>(type: "INTEGER", nullable: false),
                    MailboxId = table.Column<int>(type: "INTEGER", nullable: false),
                    Subject = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: false),
                    MessageId = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true),
                    ReceivedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    Status = table.Column<int>(type: "INTEGER", nullable: false),
                    LastMemberId = table.Column<int>(type: "INTEGER", nullable: false),
                    Sent = table.Column<int>(type: "INTEGER", nullable: false),
                    Failed = table.Column<int>(type: "INTEGER", nullable: false),
                    NotBefore = table.Column<long>(type: "INTEGER", nullable: true),
                    StatusDetail = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true),
                    FinishedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    Raw = table.Column<byte[]>(type: "BLOB", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ListPosts", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ListPosts_Lists_ListId",
                        column: x => x.ListId,
                        principalTable: "Lists",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "MemberEvents",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    MemberId = table.Column<int>(type: "INTEGER", nullable: false),
                    ListId = table.Column<int>(type: "INTEGER", nullable: false),
                    At = table.Column<long>(type: "INTEGER", nullable: false),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    Detail = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    From = table.Column<string>(type: "TEXT", maxLength: 320, nullable: true),
                    UserAgent = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    BounceMessageId = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MemberEvents", x => x.Id);
                    table.ForeignKey(
                        name: "FK_MemberEvents_ListMembers_MemberId",
                        column: x => x.MemberId,
                        principalTable: "ListMembers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_BounceMessages_ReceivedAt",
                table: "BounceMessages",
                column: "ReceivedAt");

            migrationBuilder.CreateIndex(
                name: "IX_Bounces_BounceMessageId",
                table: "Bounces",
                column: "BounceMessageId");

            migrationBuilder.CreateIndex(
                name: "IX_Bounces_MailboxId_ReceivedAt",
                table: "Bounces",
                columns: new[] { "MailboxId", "ReceivedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Bounces_MemberId_Id",
                table: "Bounces",
                columns: new[] { "MemberId", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_ListMembers_ListId_Address",
                table: "ListMembers",
                columns: new[] { "ListId", "Address" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_ListMembers_ListId_Status_Id",
                table: "ListMembers",
                columns: new[] { "ListId", "Status", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_ListMembers_Status_ConfirmationsSent",
                table: "ListMembers",
                columns: new[] { "Status", "ConfirmationsSent" });

            migrationBuilder.CreateIndex(
                name: "IX_ListPosts_ListId_Id",
                table: "ListPosts",
                columns: new[] { "ListId", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_ListPosts_Status_Id",
                table: "ListPosts",
                columns: new[] { "Status", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_Lists_Address",
                table: "Lists",
                column: "Address",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Lists_ClientId",
                table: "Lists",
                column: "ClientId");

            migrationBuilder.CreateIndex(
                name: "IX_Lists_DomainId",
                table: "Lists",
                column: "DomainId");

            migrationBuilder.CreateIndex(
                name: "IX_MemberEvents_MemberId_Id",
                table: "MemberEvents",
                columns: new[] { "MemberId", "Id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "Bounces");

            migrationBuilder.DropTable(
                name: "ListPosts");

            migrationBuilder.DropTable(
                name: "MemberEvents");

            migrationBuilder.DropTable(
                name: "SigningKeys");

            migrationBuilder.DropTable(
                name: "BounceMessages");

            migrationBuilder.DropTable(
                name: "ListMembers");

            migrationBuilder.DropTable(
                name: "Lists");
        }
    }
}
