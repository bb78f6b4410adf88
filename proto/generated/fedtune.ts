import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { Ack as _fedtune_v1_Ack, Ack__Output as _fedtune_v1_Ack__Output } from './fedtune/v1/Ack.ts';
import type { AdminClient as _fedtune_v1_AdminClient, AdminDefinition as _fedtune_v1_AdminDefinition } from './fedtune/v1/Admin.ts';
import type { AdvertiseKeysRequest as _fedtune_v1_AdvertiseKeysRequest, AdvertiseKeysRequest__Output as _fedtune_v1_AdvertiseKeysRequest__Output } from './fedtune/v1/AdvertiseKeysRequest.ts';
import type { AdvertisedKeys as _fedtune_v1_AdvertisedKeys, AdvertisedKeys__Output as _fedtune_v1_AdvertisedKeys__Output } from './fedtune/v1/AdvertisedKeys.ts';
import type { AggregateHeader as _fedtune_v1_AggregateHeader, AggregateHeader__Output as _fedtune_v1_AggregateHeader__Output } from './fedtune/v1/AggregateHeader.ts';
import type { AuditEntry as _fedtune_v1_AuditEntry, AuditEntry__Output as _fedtune_v1_AuditEntry__Output } from './fedtune/v1/AuditEntry.ts';
import type { AuditRequest as _fedtune_v1_AuditRequest, AuditRequest__Output as _fedtune_v1_AuditRequest__Output } from './fedtune/v1/AuditRequest.ts';
import type { ConsistencyStep as _fedtune_v1_ConsistencyStep, ConsistencyStep__Output as _fedtune_v1_ConsistencyStep__Output } from './fedtune/v1/ConsistencyStep.ts';
import type { DataChunk as _fedtune_v1_DataChunk, DataChunk__Output as _fedtune_v1_DataChunk__Output } from './fedtune/v1/DataChunk.ts';
import type { DeclineRequest as _fedtune_v1_DeclineRequest, DeclineRequest__Output as _fedtune_v1_DeclineRequest__Output } from './fedtune/v1/DeclineRequest.ts';
import type { DecryptStep as _fedtune_v1_DecryptStep, DecryptStep__Output as _fedtune_v1_DecryptStep__Output } from './fedtune/v1/DecryptStep.ts';
import type { DropSiteRequest as _fedtune_v1_DropSiteRequest, DropSiteRequest__Output as _fedtune_v1_DropSiteRequest__Output } from './fedtune/v1/DropSiteRequest.ts';
import type { DropSiteResponse as _fedtune_v1_DropSiteResponse, DropSiteResponse__Output as _fedtune_v1_DropSiteResponse__Output } from './fedtune/v1/DropSiteResponse.ts';
import type { EncryptedShare as _fedtune_v1_EncryptedShare, EncryptedShare__Output as _fedtune_v1_EncryptedShare__Output } from './fedtune/v1/EncryptedShare.ts';
import type { EnvelopeRecipient as _fedtune_v1_EnvelopeRecipient, EnvelopeRecipient__Output as _fedtune_v1_EnvelopeRecipient__Output } from './fedtune/v1/EnvelopeRecipient.ts';
import type { EvalTask as _fedtune_v1_EvalTask, EvalTask__Output as _fedtune_v1_EvalTask__Output } from './fedtune/v1/EvalTask.ts';
import type { ExportAggregatesRequest as _fedtune_v1_ExportAggregatesRequest, ExportAggregatesRequest__Output as _fedtune_v1_ExportAggregatesRequest__Output } from './fedtune/v1/ExportAggregatesRequest.ts';
import type { ExportManifest as _fedtune_v1_ExportManifest, ExportManifest__Output as _fedtune_v1_ExportManifest__Output } from './fedtune/v1/ExportManifest.ts';
import type { ExportPart as _fedtune_v1_ExportPart, ExportPart__Output as _fedtune_v1_ExportPart__Output } from './fedtune/v1/ExportPart.ts';
import type { FederationClient as _fedtune_v1_FederationClient, FederationDefinition as _fedtune_v1_FederationDefinition } from './fedtune/v1/Federation.ts';
import type { FetchAdapterRequest as _fedtune_v1_FetchAdapterRequest, FetchAdapterRequest__Output as _fedtune_v1_FetchAdapterRequest__Output } from './fedtune/v1/FetchAdapterRequest.ts';
import type { FetchKeysRequest as _fedtune_v1_FetchKeysRequest, FetchKeysRequest__Output as _fedtune_v1_FetchKeysRequest__Output } from './fedtune/v1/FetchKeysRequest.ts';
import type { FinishedStep as _fedtune_v1_FinishedStep, FinishedStep__Output as _fedtune_v1_FinishedStep__Output } from './fedtune/v1/FinishedStep.ts';
import type { HeSettings as _fedtune_v1_HeSettings, HeSettings__Output as _fedtune_v1_HeSettings__Output } from './fedtune/v1/HeSettings.ts';
import type { JoinRequest as _fedtune_v1_JoinRequest, JoinRequest__Output as _fedtune_v1_JoinRequest__Output } from './fedtune/v1/JoinRequest.ts';
import type { JoinResponse as _fedtune_v1_JoinResponse, JoinResponse__Output as _fedtune_v1_JoinResponse__Output } from './fedtune/v1/JoinResponse.ts';
import type { KeyBlobHeader as _fedtune_v1_KeyBlobHeader, KeyBlobHeader__Output as _fedtune_v1_KeyBlobHeader__Output } from './fedtune/v1/KeyBlobHeader.ts';
import type { KeyCeremonyStep as _fedtune_v1_KeyCeremonyStep, KeyCeremonyStep__Output as _fedtune_v1_KeyCeremonyStep__Output } from './fedtune/v1/KeyCeremonyStep.ts';
import type { KeyHolder as _fedtune_v1_KeyHolder, KeyHolder__Output as _fedtune_v1_KeyHolder__Output } from './fedtune/v1/KeyHolder.ts';
import type { KeyPart as _fedtune_v1_KeyPart, KeyPart__Output as _fedtune_v1_KeyPart__Output } from './fedtune/v1/KeyPart.ts';
import type { LedgerReport as _fedtune_v1_LedgerReport, LedgerReport__Output as _fedtune_v1_LedgerReport__Output } from './fedtune/v1/LedgerReport.ts';
import type { ListRunsRequest as _fedtune_v1_ListRunsRequest, ListRunsRequest__Output as _fedtune_v1_ListRunsRequest__Output } from './fedtune/v1/ListRunsRequest.ts';
import type { LoraSettings as _fedtune_v1_LoraSettings, LoraSettings__Output as _fedtune_v1_LoraSettings__Output } from './fedtune/v1/LoraSettings.ts';
import type { MaskedInputStep as _fedtune_v1_MaskedInputStep, MaskedInputStep__Output as _fedtune_v1_MaskedInputStep__Output } from './fedtune/v1/MaskedInputStep.ts';
import type { PollRequest as _fedtune_v1_PollRequest, PollRequest__Output as _fedtune_v1_PollRequest__Output } from './fedtune/v1/PollRequest.ts';
import type { PollResponse as _fedtune_v1_PollResponse, PollResponse__Output as _fedtune_v1_PollResponse__Output } from './fedtune/v1/PollResponse.ts';
import type { PrivacySettings as _fedtune_v1_PrivacySettings, PrivacySettings__Output as _fedtune_v1_PrivacySettings__Output } from './fedtune/v1/PrivacySettings.ts';
import type { RelayedShare as _fedtune_v1_RelayedShare, RelayedShare__Output as _fedtune_v1_RelayedShare__Output } from './fedtune/v1/RelayedShare.ts';
import type { RevealedShare as _fedtune_v1_RevealedShare, RevealedShare__Output as _fedtune_v1_RevealedShare__Output } from './fedtune/v1/RevealedShare.ts';
import type { RosterEntry as _fedtune_v1_RosterEntry, RosterEntry__Output as _fedtune_v1_RosterEntry__Output } from './fedtune/v1/RosterEntry.ts';
import type { RoundRef as _fedtune_v1_RoundRef, RoundRef__Output as _fedtune_v1_RoundRef__Output } from './fedtune/v1/RoundRef.ts';
import type { RoundSummary as _fedtune_v1_RoundSummary, RoundSummary__Output as _fedtune_v1_RoundSummary__Output } from './fedtune/v1/RoundSummary.ts';
import type { RoundsRequest as _fedtune_v1_RoundsRequest, RoundsRequest__Output as _fedtune_v1_RoundsRequest__Output } from './fedtune/v1/RoundsRequest.ts';
import type { RoundsResponse as _fedtune_v1_RoundsResponse, RoundsResponse__Output as _fedtune_v1_RoundsResponse__Output } from './fedtune/v1/RoundsResponse.ts';
import type { RunInfo as _fedtune_v1_RunInfo, RunInfo__Output as _fedtune_v1_RunInfo__Output } from './fedtune/v1/RunInfo.ts';
import type { RunRequest as _fedtune_v1_RunRequest, RunRequest__Output as _fedtune_v1_RunRequest__Output } from './fedtune/v1/RunRequest.ts';
import type { RunsResponse as _fedtune_v1_RunsResponse, RunsResponse__Output as _fedtune_v1_RunsResponse__Output } from './fedtune/v1/RunsResponse.ts';
import type { SecAggSettings as _fedtune_v1_SecAggSettings, SecAggSettings__Output as _fedtune_v1_SecAggSettings__Output } from './fedtune/v1/SecAggSettings.ts';
import type { ShareKeysRequest as _fedtune_v1_ShareKeysRequest, ShareKeysRequest__Output as _fedtune_v1_ShareKeysRequest__Output } from './fedtune/v1/ShareKeysRequest.ts';
import type { ShareKeysStep as _fedtune_v1_ShareKeysStep, ShareKeysStep__Output as _fedtune_v1_ShareKeysStep__Output } from './fedtune/v1/ShareKeysStep.ts';
import type { SignSurvivorsRequest as _fedtune_v1_SignSurvivorsRequest, SignSurvivorsRequest__Output as _fedtune_v1_SignSurvivorsRequest__Output } from './fedtune/v1/SignSurvivorsRequest.ts';
import type { SiteSignature as _fedtune_v1_SiteSignature, SiteSignature__Output as _fedtune_v1_SiteSignature__Output } from './fedtune/v1/SiteSignature.ts';
import type { SiteSummary as _fedtune_v1_SiteSummary, SiteSummary__Output as _fedtune_v1_SiteSummary__Output } from './fedtune/v1/SiteSummary.ts';
import type { SitesRequest as _fedtune_v1_SitesRequest, SitesRequest__Output as _fedtune_v1_SitesRequest__Output } from './fedtune/v1/SitesRequest.ts';
import type { SitesResponse as _fedtune_v1_SitesResponse, SitesResponse__Output as _fedtune_v1_SitesResponse__Output } from './fedtune/v1/SitesResponse.ts';
import type { StatusRequest as _fedtune_v1_StatusRequest, StatusRequest__Output as _fedtune_v1_StatusRequest__Output } from './fedtune/v1/StatusRequest.ts';
import type { StatusResponse as _fedtune_v1_StatusResponse, StatusResponse__Output as _fedtune_v1_StatusResponse__Output } from './fedtune/v1/StatusResponse.ts';
import type { SubmitMetricsRequest as _fedtune_v1_SubmitMetricsRequest, SubmitMetricsRequest__Output as _fedtune_v1_SubmitMetricsRequest__Output } from './fedtune/v1/SubmitMetricsRequest.ts';
import type { SubmitRunRequest as _fedtune_v1_SubmitRunRequest, SubmitRunRequest__Output as _fedtune_v1_SubmitRunRequest__Output } from './fedtune/v1/SubmitRunRequest.ts';
import type { TrainTask as _fedtune_v1_TrainTask, TrainTask__Output as _fedtune_v1_TrainTask__Output } from './fedtune/v1/TrainTask.ts';
import type { TrainingSettings as _fedtune_v1_TrainingSettings, TrainingSettings__Output as _fedtune_v1_TrainingSettings__Output } from './fedtune/v1/TrainingSettings.ts';
import type { UnmaskRequest as _fedtune_v1_UnmaskRequest, UnmaskRequest__Output as _fedtune_v1_UnmaskRequest__Output } from './fedtune/v1/UnmaskRequest.ts';
import type { UnmaskStep as _fedtune_v1_UnmaskStep, UnmaskStep__Output as _fedtune_v1_UnmaskStep__Output } from './fedtune/v1/UnmaskStep.ts';
import type { UpdateHeader as _fedtune_v1_UpdateHeader, UpdateHeader__Output as _fedtune_v1_UpdateHeader__Output } from './fedtune/v1/UpdateHeader.ts';
import type { UpdatePart as _fedtune_v1_UpdatePart, UpdatePart__Output as _fedtune_v1_UpdatePart__Output } from './fedtune/v1/UpdatePart.ts';
import type { VerifyAuditRequest as _fedtune_v1_VerifyAuditRequest, VerifyAuditRequest__Output as _fedtune_v1_VerifyAuditRequest__Output } from './fedtune/v1/VerifyAuditRequest.ts';
import type { VerifyAuditResponse as _fedtune_v1_VerifyAuditResponse, VerifyAuditResponse__Output as _fedtune_v1_VerifyAuditResponse__Output } from './fedtune/v1/VerifyAuditResponse.ts';
import type { WaitStep as _fedtune_v1_WaitStep, WaitStep__Output as _fedtune_v1_WaitStep__Output } from './fedtune/v1/WaitStep.ts';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  fedtune: {
    v1: {
      Ack: MessageTypeDefinition<_fedtune_v1_Ack, _fedtune_v1_Ack__Output>
      /**
       * The service that consortium operators call with an admin certificate.
       */
      Admin: SubtypeConstructor<typeof grpc.Client, _fedtune_v1_AdminClient> & { service: _fedtune_v1_AdminDefinition }
      AdvertiseKeysRequest: MessageTypeDefinition<_fedtune_v1_AdvertiseKeysRequest, _fedtune_v1_AdvertiseKeysRequest__Output>
      AdvertisedKeys: MessageTypeDefinition<_fedtune_v1_AdvertisedKeys, _fedtune_v1_AdvertisedKeys__Output>
      AggregateHeader: MessageTypeDefinition<_fedtune_v1_AggregateHeader, _fedtune_v1_AggregateHeader__Output>
      AuditEntry: MessageTypeDefinition<_fedtune_v1_AuditEntry, _fedtune_v1_AuditEntry__Output>
      AuditRequest: MessageTypeDefinition<_fedtune_v1_AuditRequest, _fedtune_v1_AuditRequest__Output>
      ConsistencyStep: MessageTypeDefinition<_fedtune_v1_ConsistencyStep, _fedtune_v1_ConsistencyStep__Output>
      DataChunk: MessageTypeDefinition<_fedtune_v1_DataChunk, _fedtune_v1_DataChunk__Output>
      DeclineRequest: MessageTypeDefinition<_fedtune_v1_DeclineRequest, _fedtune_v1_DeclineRequest__Output>
      DecryptStep: MessageTypeDefinition<_fedtune_v1_DecryptStep, _fedtune_v1_DecryptStep__Output>
      DropSiteRequest: MessageTypeDefinition<_fedtune_v1_DropSiteRequest, _fedtune_v1_DropSiteRequest__Output>
      DropSiteResponse: MessageTypeDefinition<_fedtune_v1_DropSiteResponse, _fedtune_v1_DropSiteResponse__Output>
      EncryptedShare: MessageTypeDefinition<_fedtune_v1_EncryptedShare, _fedtune_v1_EncryptedShare__Output>
      EnvelopeRecipient: MessageTypeDefinition<_fedtune_v1_EnvelopeRecipient, _fedtune_v1_EnvelopeRecipient__Output>
      EvalTask: MessageTypeDefinition<_fedtune_v1_EvalTask, _fedtune_v1_EvalTask__Output>
      ExportAggregatesRequest: MessageTypeDefinition<_fedtune_v1_ExportAggregatesRequest, _fedtune_v1_ExportAggregatesRequest__Output>
      ExportManifest: MessageTypeDefinition<_fedtune_v1_ExportManifest, _fedtune_v1_ExportManifest__Output>
      ExportPart: MessageTypeDefinition<_fedtune_v1_ExportPart, _fedtune_v1_ExportPart__Output>
      /**
       * The service that sites (hospital clients) call.
       */
      Federation: SubtypeConstructor<typeof grpc.Client, _fedtune_v1_FederationClient> & { service: _fedtune_v1_FederationDefinition }
      FetchAdapterRequest: MessageTypeDefinition<_fedtune_v1_FetchAdapterRequest, _fedtune_v1_FetchAdapterRequest__Output>
      FetchKeysRequest: MessageTypeDefinition<_fedtune_v1_FetchKeysRequest, _fedtune_v1_FetchKeysRequest__Output>
      FinishedStep: MessageTypeDefinition<_fedtune_v1_FinishedStep, _fedtune_v1_FinishedStep__Output>
      HeSettings: MessageTypeDefinition<_fedtune_v1_HeSettings, _fedtune_v1_HeSettings__Output>
      JoinRequest: MessageTypeDefinition<_fedtune_v1_JoinRequest, _fedtune_v1_JoinRequest__Output>
      JoinResponse: MessageTypeDefinition<_fedtune_v1_JoinResponse, _fedtune_v1_JoinResponse__Output>
      KeyBlobHeader: MessageTypeDefinition<_fedtune_v1_KeyBlobHeader, _fedtune_v1_KeyBlobHeader__Output>
      KeyCeremonyStep: MessageTypeDefinition<_fedtune_v1_KeyCeremonyStep, _fedtune_v1_KeyCeremonyStep__Output>
      KeyHolder: MessageTypeDefinition<_fedtune_v1_KeyHolder, _fedtune_v1_KeyHolder__Output>
      KeyPart: MessageTypeDefinition<_fedtune_v1_KeyPart, _fedtune_v1_KeyPart__Output>
      LedgerReport: MessageTypeDefinition<_fedtune_v1_LedgerReport, _fedtune_v1_LedgerReport__Output>
      ListRunsRequest: MessageTypeDefinition<_fedtune_v1_ListRunsRequest, _fedtune_v1_ListRunsRequest__Output>
      LoraSettings: MessageTypeDefinition<_fedtune_v1_LoraSettings, _fedtune_v1_LoraSettings__Output>
      MaskedInputStep: MessageTypeDefinition<_fedtune_v1_MaskedInputStep, _fedtune_v1_MaskedInputStep__Output>
      PollRequest: MessageTypeDefinition<_fedtune_v1_PollRequest, _fedtune_v1_PollRequest__Output>
      PollResponse: MessageTypeDefinition<_fedtune_v1_PollResponse, _fedtune_v1_PollResponse__Output>
      PrivacySettings: MessageTypeDefinition<_fedtune_v1_PrivacySettings, _fedtune_v1_PrivacySettings__Output>
      RelayedShare: MessageTypeDefinition<_fedtune_v1_RelayedShare, _fedtune_v1_RelayedShare__Output>
      RevealedShare: MessageTypeDefinition<_fedtune_v1_RevealedShare, _fedtune_v1_RevealedShare__Output>
      RosterEntry: MessageTypeDefinition<_fedtune_v1_RosterEntry, _fedtune_v1_RosterEntry__Output>
      RoundRef: MessageTypeDefinition<_fedtune_v1_RoundRef, _fedtune_v1_RoundRef__Output>
      RoundSummary: MessageTypeDefinition<_fedtune_v1_RoundSummary, _fedtune_v1_RoundSummary__Output>
      RoundsRequest: MessageTypeDefinition<_fedtune_v1_RoundsRequest, _fedtune_v1_RoundsRequest__Output>
      RoundsResponse: MessageTypeDefinition<_fedtune_v1_RoundsResponse, _fedtune_v1_RoundsResponse__Output>
      RunInfo: MessageTypeDefinition<_fedtune_v1_RunInfo, _fedtune_v1_RunInfo__Output>
      RunRequest: MessageTypeDefinition<_fedtune_v1_RunRequest, _fedtune_v1_RunRequest__Output>
      RunsResponse: MessageTypeDefinition<_fedtune_v1_RunsResponse, _fedtune_v1_RunsResponse__Output>
      SecAggSettings: MessageTypeDefinition<_fedtune_v1_SecAggSettings, _fedtune_v1_SecAggSettings__Output>
      ShareKeysRequest: MessageTypeDefinition<_fedtune_v1_ShareKeysRequest, _fedtune_v1_ShareKeysRequest__Output>
      ShareKeysStep: MessageTypeDefinition<_fedtune_v1_ShareKeysStep, _fedtune_v1_ShareKeysStep__Output>
      SignSurvivorsRequest: MessageTypeDefinition<_fedtune_v1_SignSurvivorsRequest, _fedtune_v1_SignSurvivorsRequest__Output>
      SiteSignature: MessageTypeDefinition<_fedtune_v1_SiteSignature, _fedtune_v1_SiteSignature__Output>
      SiteSummary: MessageTypeDefinition<_fedtune_v1_SiteSummary, _fedtune_v1_SiteSummary__Output>
      SitesRequest: MessageTypeDefinition<_fedtune_v1_SitesRequest, _fedtune_v1_SitesRequest__Output>
      SitesResponse: MessageTypeDefinition<_fedtune_v1_SitesResponse, _fedtune_v1_SitesResponse__Output>
      StatusRequest: MessageTypeDefinition<_fedtune_v1_StatusRequest, _fedtune_v1_StatusRequest__Output>
      StatusResponse: MessageTypeDefinition<_fedtune_v1_StatusResponse, _fedtune_v1_StatusResponse__Output>
      SubmitMetricsRequest: MessageTypeDefinition<_fedtune_v1_SubmitMetricsRequest, _fedtune_v1_SubmitMetricsRequest__Output>
      SubmitRunRequest: MessageTypeDefinition<_fedtune_v1_SubmitRunRequest, _fedtune_v1_SubmitRunRequest__Output>
      TrainTask: MessageTypeDefinition<_fedtune_v1_TrainTask, _fedtune_v1_TrainTask__Output>
      TrainingSettings: MessageTypeDefinition<_fedtune_v1_TrainingSettings, _fedtune_v1_TrainingSettings__Output>
      UnmaskRequest: MessageTypeDefinition<_fedtune_v1_UnmaskRequest, _fedtune_v1_UnmaskRequest__Output>
      UnmaskStep: MessageTypeDefinition<_fedtune_v1_UnmaskStep, _fedtune_v1_UnmaskStep__Output>
      UpdateHeader: MessageTypeDefinition<_fedtune_v1_UpdateHeader, _fedtune_v1_UpdateHeader__Output>
      UpdatePart: MessageTypeDefinition<_fedtune_v1_UpdatePart, _fedtune_v1_UpdatePart__Output>
      VerifyAuditRequest: MessageTypeDefinition<_fedtune_v1_VerifyAuditRequest, _fedtune_v1_VerifyAuditRequest__Output>
      VerifyAuditResponse: MessageTypeDefinition<_fedtune_v1_VerifyAuditResponse, _fedtune_v1_VerifyAuditResponse__Output>
      WaitStep: MessageTypeDefinition<_fedtune_v1_WaitStep, _fedtune_v1_WaitStep__Output>
    }
  }
}

